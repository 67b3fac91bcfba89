package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertificateReloadIT {
    @TempDir
    Path directory;

    @Test
    void newHandshakesGetAReplacedCertificateWhileOldConnectionsKeepWorking() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf first = certificates.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        String config = """
                sluice {
                  workers = 2
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ], watch-interval = 100ms }
                    locations = [ { match = "/", return { status = 200, body = "still here" } } ] } ]
                }""".formatted(first.chain(), first.key());
        try (RunningSluice sluice = RunningSluice.start(config)) {
            SSLContext client = certificates.clientContext();
            try (SSLSocket established = TlsClients.connect(client, sluice.port(), "site.test")) {
                assertTrue(TlsClients.get(established, "site.test", "/").endsWith("still here"));

                TestCertificates.Leaf second = certificates.issue("next", TestCertificates.KeyFormat.RSA_TRADITIONAL,
                        "site.test");
                assertNotEquals(first.certificate(), second.certificate());
                // replace the key first, then the chain, as a renewal tool would; the watcher must cope with
                // seeing a key that does not match the old chain for a moment
                Files.move(second.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
                Files.move(second.chain(), first.chain(), StandardCopyOption.REPLACE_EXISTING);
                FileTime later = FileTime.from(Instant.now().plusSeconds(5));
                Files.setLastModifiedTime(first.key(), later);
                Files.setLastModifiedTime(first.chain(), later);

                X509Certificate served = first.certificate();
                long deadline = System.nanoTime() + 15_000_000_000L;
                while (served.equals(first.certificate()) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                    served = TlsClients.peerCertificate(certificates.clientContext(), sluice.port(), "site.test");
                }
                assertEquals(second.certificate(), served, "a new handshake gets the new certificate");

                assertEquals(first.certificate(), established.getSession().getPeerCertificates()[0]);
                assertTrue(TlsClients.get(established, "site.test", "/").endsWith("still here"),
                        "the established connection keeps working");
            }
        }
    }

    @Test
    void aConfigurationReloadSwapsCertificatesAndABadOneKeepsTheOld() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf first = certificates.issue("first", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        TestCertificates.Leaf second = certificates.issue("second", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        String template = """
                sluice {
                  workers = 1
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ], watch-interval = 0s }
                    locations = [ { match = "/", return { status = 204 } } ] } ]
                }""";
        try (RunningSluice sluice = RunningSluice.start(template.formatted(first.chain(), first.key()))) {
            SluiceConfig next = ConfigLoader.parse(template.formatted(second.chain(), second.key()), directory);
            sluice.server().tls().reload(next).get(30, TimeUnit.SECONDS);
            assertEquals(second.certificate(),
                    TlsClients.peerCertificate(certificates.clientContext(), sluice.port(), "site.test"));

            SluiceConfig mismatched = ConfigLoader.parse(template.formatted(first.chain(), second.key()), directory);
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> sluice.server().tls().reload(mismatched).get(30, TimeUnit.SECONDS));
            assertTrue(failure.getCause().getMessage().contains("servers[0].tls"), failure.getCause().getMessage());
            assertEquals(second.certificate(),
                    TlsClients.peerCertificate(certificates.clientContext(), sluice.port(), "site.test"),
                    "a reload that fails leaves the working certificate in place");
        }
    }

    @Test
    void aReloadThatAddsATlsListenerServesItsCertificate() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf old = certificates.issue("old", TestCertificates.KeyFormat.EC_PKCS8, "old.test");
        TestCertificates.Leaf fresh = certificates.issue("fresh", TestCertificates.KeyFormat.EC_PKCS8, "new.test");
        String before = """
                sluice {
                  workers = 1
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "old" } } ] } ]
                }""".formatted(old.chain(), old.key());
        String after = """
                sluice {
                  workers = 1
                  servers = [
                    { listen = [ { address = "127.0.0.1:0", tls = true } ]
                      tls { certificates = [ { cert = "%s", key = "%s" } ] }
                      locations = [ { match = "/", return { status = 200, body = "old" } } ] }
                    { listen = [ { address = "127.0.0.5:0", tls = true, http2 = true } ]
                      tls { certificates = [ { cert = "%s", key = "%s" } ] }
                      locations = [ { match = "/", return { status = 200, body = "new" } } ] }
                  ]
                }""".formatted(old.chain(), old.key(), fresh.chain(), fresh.key());
        try (RunningSluice sluice = RunningSluice.start(before)) {
            assertTrue(sluice.server().apply(ConfigLoader.parse(after, directory)).success());
            int added = sluice.port("127.0.0.5:0");
            try (SSLSocket socket = TlsClients.connect(certificates.clientContext(), "127.0.0.5", added, "new.test")) {
                assertEquals(fresh.certificate(), socket.getSession().getPeerCertificates()[0]);
                assertTrue(TlsClients.get(socket, "new.test", "/").endsWith("new"));
            }
            assertEquals(old.certificate(),
                    TlsClients.peerCertificate(certificates.clientContext(), sluice.port("127.0.0.1:0"), "old.test"));
        }
    }
}
