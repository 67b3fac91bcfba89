package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.server.SluiceServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bad certificate stops the start before any listener is bound, with the problem in the exception. */
class TlsStartFailureIT {
    @TempDir
    Path directory;

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStartBeforeAnyListenerBinds() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf site = certificates.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        TestCertificates.Leaf other = certificates.issue("other", TestCertificates.KeyFormat.EC_PKCS8, "other.test");
        int plainPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            plainPort = probe.getLocalPort();
        }
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  workers = 1
                  admin { listen = off }
                  servers = [ {
                    listen = [ "127.0.0.1:%d", { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 204 } } ] } ]
                }""".formatted(plainPort, site.chain(), other.key()), directory);

        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> SluiceServer.start(config));
        assertTrue(refused.getMessage().contains("is not the private key of the certificate"), refused.getMessage());
        try (ServerSocket free = new ServerSocket(plainPort)) {
            assertTrue(free.isBound(), "the plain listener was never bound");
        }
    }
}
