package io.sluice.tls;

import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.TlsTestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What building a TLS listener's context loads, read from the JVM's class-load log of a real start: the
 * native TLS library, but not the JDK's CA store (listeners request no client certificates) and not the
 * PBKDF2 key wrapping of a PKCS#12 key store; both used to cost a third of the start-up CPU together.
 */
class TlsStartupClassesIT {
    @TempDir
    Path directory;

    @Test
    void aTlsListenerLoadsNeitherTheCaStoreNorPbkdf2() throws Exception {
        TestCertificates.Leaf leaf = TestCertificates.create(directory)
                .issue("localhost", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (LaunchedSluice sluice = LaunchedSluice.start(TlsTestConfigs.answeringOk(
                "{ address = \"127.0.0.1:0\", tls = true, http2 = true }", leaf.chain(), leaf.key()))) {
            Set<String> loaded = sluice.loadedClasses();
            assertTrue(loaded.contains("io.sluice.tls.TlsContexts"), "the log covers the TLS set-up");
            assertTrue(loaded.contains("io.netty.handler.ssl.OpenSsl"), "TLS natives load for a TLS listener");
            for (String unwanted : new String[] {
                    "sun.security.ssl.TrustStoreManager", "com.sun.crypto.provider.PBKDF2Core"}) {
                assertFalse(loaded.contains(unwanted), unwanted + " was loaded");
            }
        }
    }
}
