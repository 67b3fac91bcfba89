package io.sluice.tls;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.Certificate;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A reload that catches a certificate file while it is being written in place (a copy in progress, an ACME
 * client that truncates and rewrites): the file ends in the middle of its leaf, or in the middle of the CA
 * certificate that follows the leaf. The reload must be refused and the running certificate stay in service
 * with its whole chain; once the file is complete a reload must put the new one in service.
 */
class HalfWrittenCertificateReloadIT {
    @TempDir
    Path directory;

    @Test
    void aReloadOfAHalfWrittenChainIsRefusedAndTheWholeOneIsTakenLater() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf first = certificates.issue("first", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        TestCertificates.Leaf second = certificates.issue("second", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        Path chain = directory.resolve("live.pem");
        Path key = directory.resolve("live.key");
        Files.copy(first.chain(), chain);
        Files.copy(first.key(), key);
        try (OperatedSluice sluice = OperatedSluice.start("""
                sluice {
                  workers = 1
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ], watch-interval = 0s }
                    locations = [ { match = "/", return { status = 204 } } ] } ]
                }""".formatted(chain, key))) {
            byte[] whole = Files.readAllBytes(second.chain());
            String text = new String(whole, StandardCharsets.US_ASCII);
            int leafEnd = text.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----\n".length();
            Files.copy(second.key(), key, StandardCopyOption.REPLACE_EXISTING);
            for (int length : new int[] {leafEnd / 2, leafEnd + (whole.length - leafEnd) / 2}) {
                Files.write(chain, Arrays.copyOf(whole, length));
                HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
                assertEquals(422, reload.statusCode(), "chain cut at " + length + " of " + whole.length + ": " + reload.body());
                Certificate[] served = servedChain(certificates, sluice);
                assertEquals(first.certificate(), served[0], "the running certificate stays in service");
                assertEquals(2, served.length, "with its whole chain");
            }
            Files.write(chain, whole);
            HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
            assertEquals(200, reload.statusCode(), reload.body());
            assertEquals(second.certificate(), servedChain(certificates, sluice)[0]);
        }
    }

    private static Certificate[] servedChain(TestCertificates certificates, OperatedSluice sluice) throws Exception {
        try (SSLSocket socket = TlsClients.connect(certificates.clientContext(), sluice.port(), "site.test")) {
            return socket.getSession().getPeerCertificates();
        }
    }
}
