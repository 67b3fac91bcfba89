package io.sluice.tls;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SniIT {
    @TempDir
    Path directory;

    @Test
    void picksTheCertificateAndServerBlockByName() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf a = certificates.issue("a", TestCertificates.KeyFormat.EC_PKCS8, "a.test");
        TestCertificates.Leaf b = certificates.issue("b", TestCertificates.KeyFormat.EC_PKCS8, "b.test");
        TestCertificates.Leaf c = certificates.issue("c", TestCertificates.KeyFormat.RSA_PKCS8, "*.c.test");
        String config = """
                sluice {
                  workers = 2
                  servers = [
                    { listen = [ { address = "127.0.0.1:0", tls = true } ], server-names = [ "a.test" ]
                      tls { certificates = [ { cert = "%s", key = "%s" } ] }
                      locations = [ { match = "/", return { status = 200, body = "server a" } } ] }
                    { listen = [ { address = "127.0.0.1:0", tls = true } ], server-names = [ "b.test", "*.c.test" ]
                      tls { certificates = [ { cert = "%s", key = "%s" }, { cert = "%s", key = "%s" } ] }
                      locations = [ { match = "/", return { status = 200, body = "server b" } } ] }
                  ]
                }""".formatted(a.chain(), a.key(), b.chain(), b.key(), c.chain(), c.key());
        try (RunningSluice sluice = RunningSluice.start(config)) {
            int port = sluice.port();
            // a fresh client context per connection: the JDK client would otherwise resume the first
            // session (and send its server name) on every later connection to the same host and port
            assertEquals(a.certificate(), TlsClients.peerCertificate(certificates.clientContext(), port, "a.test"));
            assertEquals(b.certificate(), TlsClients.peerCertificate(certificates.clientContext(), port, "b.test"));
            assertEquals(c.certificate(), TlsClients.peerCertificate(certificates.clientContext(), port, "www.c.test"));
            assertEquals(a.certificate(), TlsClients.peerCertificate(certificates.clientContext(), port, "unknown.test"),
                    "default certificate");
            assertEquals(a.certificate(), TlsClients.peerCertificate(certificates.clientContext(), port, null),
                    "no SNI: default certificate");
            try (SSLSocket socket = TlsClients.connect(certificates.clientContext(), port, "b.test")) {
                assertTrue(TlsClients.get(socket, "b.test", "/").endsWith("server b"));
            }
            try (SSLSocket socket = TlsClients.connect(certificates.clientContext(), port, "www.c.test")) {
                assertTrue(TlsClients.get(socket, "www.c.test", "/").endsWith("server b"));
            }
            // a fully qualified name, as a browser sends it from https://b.test./: the block of b.test, as in nginx
            try (SSLSocket socket = TlsClients.connect(certificates.clientContext(), port, "b.test")) {
                String response = TlsClients.get(socket, "B.Test.", "/");
                assertTrue(response.endsWith("server b"), response);
                response = TlsClients.get(socket, "www.c.test.:" + port, "/");
                assertTrue(response.endsWith("server b"), response);
            }
        }
    }
}
