package io.sluice.tls;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OcspResponsesTest {
    @TempDir
    Path directory;
    @TempDir
    Path otherDirectory;

    private TestCertificates ca;
    private TestOcsp ocsp;
    private TestCertificates.Leaf leaf;
    private OcspCertificate certificate;

    @BeforeEach
    void issue() throws Exception {
        ca = TestCertificates.create(directory);
        ocsp = new TestOcsp(ca);
        leaf = ca.issueWith("site", TestCertificates.KeyFormat.EC_PKCS8,
                "authorityInfoAccess=OCSP;URI:http://127.0.0.1:1/ocsp", "site.test");
        certificate = OcspCertificate.of(PemFiles.certificates(leaf.chain()));
    }

    @Test
    void aGoodResponseSignedByTheIssuerIsStapledWithItsWindow() throws Exception {
        byte[] response = ocsp.response(leaf, TestOcsp.Status.GOOD);
        Instant now = Instant.now();
        OcspStaple staple = OcspResponses.verify(response, certificate, now);
        assertArrayEquals(response, staple.response());
        assertTrue(!staple.thisUpdate().isAfter(now.plusSeconds(5)), staple.thisUpdate().toString());
        assertTrue(staple.nextUpdate().isAfter(now.plus(Duration.ofHours(23))), staple.nextUpdate().toString());
    }

    @Test
    void aRevokedCertificateIsNotStapled() throws Exception {
        byte[] response = ocsp.response(leaf, TestOcsp.Status.REVOKED);
        assertRefused("revoked", response, Instant.now());
    }

    @Test
    void aResponseForAnotherCertificateIsNotStapled() throws Exception {
        TestCertificates.Leaf other = ca.issue("other", TestCertificates.KeyFormat.EC_PKCS8, "other.test");
        assertRefused("not for this certificate", ocsp.response(other, TestOcsp.Status.GOOD), Instant.now());
    }

    @Test
    void aResponseOutsideItsWindowIsNotStapled() throws Exception {
        byte[] response = ocsp.response(leaf, TestOcsp.Status.GOOD);
        assertRefused("expired", response, Instant.now().plus(Duration.ofDays(2)));
        assertRefused("not valid yet", response, Instant.now().minus(Duration.ofHours(1)));
    }

    @Test
    void aResponseSignedByAnotherAuthorityIsNotStapled() throws Exception {
        TestCertificates stranger = TestCertificates.create(otherDirectory);
        byte[] response = ocsp.response(leaf, TestOcsp.Status.GOOD, stranger.caCertificate(), stranger.caKey());
        // OpenSSL includes the signer's certificate, which names itself as our CA does but is not ours
        assertRefused("not issued by the certificate's issuer", response, Instant.now());
    }

    @Test
    void aDelegatedResponderNeedsTheOcspSigningUsage() throws Exception {
        TestCertificates.Leaf delegated = ca.issueWith("responder", TestCertificates.KeyFormat.EC_PKCS8,
                "extendedKeyUsage=OCSPSigning", "responder.test");
        byte[] signed = ocsp.response(leaf, TestOcsp.Status.GOOD, delegated.chain(), delegated.key());
        assertArrayEquals(signed, OcspResponses.verify(signed, certificate, Instant.now()).response());

        TestCertificates.Leaf plain = ca.issue("plain", TestCertificates.KeyFormat.EC_PKCS8, "plain.test");
        assertRefused("not authorised for OCSP signing",
                ocsp.response(leaf, TestOcsp.Status.GOOD, plain.chain(), plain.key()), Instant.now());
    }

    @Test
    void anUnsuccessfulOrMalformedResponseIsNotStapled() {
        // OCSPResponse { responseStatus unauthorized(6) }, as a responder sends for a certificate it does not serve
        assertRefused("unauthorized", new byte[] {0x30, 0x03, 0x0a, 0x01, 0x06}, Instant.now());
        assertRefused("not a DER OCSPResponse", "<html>not found</html>".getBytes(), Instant.now());
    }

    @Test
    void theRequestIsOneOpenSslReadsAndTheResponderComesFromTheCertificate() throws Exception {
        Path request = directory.resolve("request.der");
        Files.write(request, certificate.request());
        String text = TestCertificates.run(directory, "openssl", "ocsp", "-reqin", request.toString(), "-req_text");
        X509Certificate served = leaf.certificate();
        assertTrue(text.contains("Hash Algorithm: sha1"), text);
        assertTrue(text.toUpperCase().replace(":", "").contains(served.getSerialNumber().toString(16).toUpperCase()),
                text);
        assertEquals(URI.create("http://127.0.0.1:1/ocsp"), certificate.responder());

        TestCertificates.Leaf without = ca.issue("without", TestCertificates.KeyFormat.EC_PKCS8, "without.test");
        assertNull(OcspCertificate.of(PemFiles.certificates(without.chain())).responder());
    }

    private void assertRefused(String reason, byte[] response, Instant now) {
        OcspResponses.RefusedException refused = assertThrows(OcspResponses.RefusedException.class,
                () -> OcspResponses.verify(response, certificate, now));
        assertTrue(refused.getMessage().contains(reason), refused.getMessage());
    }
}
