package io.sluice.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * OCSP responses for test certificates, made at test time by {@code openssl ocsp} acting as a responder
 * over an index file, so the code under test is checked against OpenSSL's encoder rather than its own.
 */
final class TestOcsp {
    /** What the responder's index says about a certificate. */
    enum Status { GOOD, REVOKED }

    private static final DateTimeFormatter INDEX_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'", Locale.ROOT);
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final TestCertificates ca;

    TestOcsp(TestCertificates ca) {
        this.ca = ca;
    }

    /** A response for {@code leaf} signed by the CA, valid for a day. */
    byte[] response(TestCertificates.Leaf leaf, Status status) throws IOException, InterruptedException {
        return response(leaf, status, ca.caCertificate(), ca.caKey());
    }

    /** A response for {@code leaf} signed by the given certificate and key, valid for a day. */
    byte[] response(TestCertificates.Leaf leaf, Status status, Path signerCert, Path signerKey)
            throws IOException, InterruptedException {
        Path directory = ca.directory();
        int n = NEXT.incrementAndGet();
        String serial = leaf.certificate().getSerialNumber().toString(16).toUpperCase(Locale.ROOT);
        if (serial.length() % 2 == 1) {
            serial = "0" + serial;
        }
        String expiry = INDEX_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusDays(2));
        String revoked = status == Status.REVOKED ? INDEX_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusHours(1)) : "";
        Path index = directory.resolve("ocsp-index-" + n + ".txt");
        Files.writeString(index, (status == Status.REVOKED ? "R" : "V") + "\t" + expiry + "\t" + revoked + "\t"
                + serial + "\tunknown\t" + leaf.certificate().getSubjectX500Principal().getName() + "\n");
        Path request = directory.resolve("ocsp-request-" + n + ".der");
        Path response = directory.resolve("ocsp-response-" + n + ".der");
        TestCertificates.openssl(directory, "ocsp", "-issuer", ca.caCertificate().toString(),
                "-cert", leaf.chain().toString(), "-reqout", request.toString());
        TestCertificates.openssl(directory, "ocsp", "-index", index.toString(), "-CA", ca.caCertificate().toString(),
                "-rsigner", signerCert.toString(), "-rkey", signerKey.toString(), "-reqin", request.toString(),
                "-respout", response.toString(), "-ndays", "1");
        return Files.readAllBytes(response);
    }
}
