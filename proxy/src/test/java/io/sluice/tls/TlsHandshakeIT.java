package io.sluice.tls;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsHandshakeIT {
    @TempDir
    static Path directory;
    static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.create(directory);
    }

    private static String tlsServer(TestCertificates.Leaf leaf, String extra) {
        return """
                sluice {
                  workers = 2
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    %s
                    locations = [ { match = "/", return { status = 200, body = "secure" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key(), extra);
    }

    private static URI https(RunningSluice sluice, String path) {
        return URI.create("https://127.0.0.1:" + sluice.port() + path);
    }

    @Test
    void negotiatesTls13AndTls12WithARealClient() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("versions", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (RunningSluice sluice = RunningSluice.start(tlsServer(leaf, ""))) {
            for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
                HttpClient client = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_1_1, protocol);
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(https(sluice, "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("secure", response.body());
                assertEquals(protocol, response.sslSession().orElseThrow().getProtocol());
            }
        }
    }

    @Test
    void refusesTls11() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("old", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (RunningSluice sluice = RunningSluice.start(tlsServer(leaf, ""))) {
            String connect = "127.0.0.1:" + sluice.port();
            String modern = TestCertificates.run(directory, "openssl", "s_client", "-connect", connect, "-tls1_2",
                    "-brief");
            assertTrue(modern.contains("TLSv1.2"), modern);
            Exception refused = assertThrows(Exception.class, () -> TestCertificates.run(directory, "openssl",
                    "s_client", "-connect", connect, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-brief"));
            assertFalse(refused.getMessage().contains("Protocol version: TLSv1.1"), refused.getMessage());
        }
    }

    @Test
    void resumesSessionsWithTickets() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("resume", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (RunningSluice sluice = RunningSluice.start(tlsServer(leaf, ""))) {
            String connect = "127.0.0.1:" + sluice.port();
            String first = TestCertificates.run(directory, "openssl", "s_client", "-connect", connect, "-tls1_2",
                    "-sess_out", "session.pem");
            assertTrue(first.contains("TLS session ticket:"), first);
            assertTrue(first.contains("New, TLSv1.2"), first);
            String second = TestCertificates.run(directory, "openssl", "s_client", "-connect", connect, "-tls1_2",
                    "-sess_in", "session.pem");
            assertTrue(second.contains("Reused, TLSv1.2"), second);
        }
    }

    @Test
    void loadsTraditionalRsaAndEcKeys() throws Exception {
        for (TestCertificates.KeyFormat format : new TestCertificates.KeyFormat[] {
                TestCertificates.KeyFormat.RSA_TRADITIONAL, TestCertificates.KeyFormat.EC_TRADITIONAL,
                TestCertificates.KeyFormat.RSA_PKCS8}) {
            TestCertificates.Leaf leaf = certificates.issue("format-" + format, format, "localhost");
            try (RunningSluice sluice = RunningSluice.start(tlsServer(leaf, ""))) {
                assertEquals(leaf.certificate().getSerialNumber(),
                        TlsClients.peerCertificate(certificates.clientContext(), sluice.port(), null).getSerialNumber(),
                        format.toString());
            }
        }
    }

    @Test
    void refusesAnEncryptedKeyWithAClearMessage() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("encrypted", TestCertificates.KeyFormat.RSA_ENCRYPTED, "localhost");
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> RunningSluice.start(tlsServer(leaf, "")));
        assertTrue(failure.getMessage().contains("is encrypted"), failure.getMessage());
        assertTrue(failure.getMessage().contains("servers[0].tls"), failure.getMessage());
    }

    @Test
    void addsHstsOnlyOverTlsAndRedirectsPlainRequests() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("hsts", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        String config = """
                sluice {
                  workers = 1
                  servers = [
                    { listen = [ { address = "127.0.0.1:0", tls = true }, "127.0.0.3:0" ]
                      tls { certificates = [ { cert = "%s", key = "%s" } ] }
                      hsts { max-age = 31536000, include-subdomains = true }
                      locations = [ { match = "/", return { status = 200, body = "ok" } } ] }
                    { listen = [ { address = "127.0.0.2:0" } ]
                      redirect-to-https = 8443
                      locations = [ { match = "/", return { status = 200, body = "never" } } ] }
                  ]
                }""".formatted(leaf.chain(), leaf.key());
        try (RunningSluice sluice = RunningSluice.start(config)) {
            HttpClient tls = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_1_1);
            HttpResponse<String> secure = tls.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + sluice.port("127.0.0.1:0") + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("max-age=31536000; includeSubDomains",
                    secure.headers().firstValue("strict-transport-security").orElseThrow());

            HttpClient plain = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            HttpResponse<String> insecure = plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.3:" + sluice.port("127.0.0.3:0") + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("ok", insecure.body());
            assertFalse(insecure.headers().firstValue("strict-transport-security").isPresent());

            int redirectPort = sluice.port("127.0.0.2:0");
            HttpResponse<String> moved = plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.2:" + redirectPort + "/a/b?c=d")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(301, moved.statusCode());
            assertEquals("https://127.0.0.2:8443/a/b?c=d", moved.headers().firstValue("location").orElseThrow());
            HttpResponse<String> post = plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.2:" + redirectPort + "/form")).POST(HttpRequest.BodyPublishers.ofString("x"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(308, post.statusCode());
        }
    }
}
