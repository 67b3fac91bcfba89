package io.sluice.tls;

import io.sluice.testing.SluiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sluice on the JDK's TLS provider, the fallback when the native BoringSSL library does not load. The
 * provider is chosen once per process, so the server runs as its own JVM with the native library turned off.
 */
class JdkTlsProviderIT {
    @TempDir
    Path directory;

    /**
     * A TLS 1.2 client that asks for a new handshake on an established connection is refused, as BoringSSL
     * and nginx refuse it. Each renegotiation the JDK's server accepted cost it a full handshake (key exchange
     * and signature), and a client could ask for one after another on the same connection.
     */
    @Test
    void clientRenegotiationIsRefused() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("localhost", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path output = directory.resolve("sluice.out");
        String config = """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  servers = [ { listen = [ { address = "127.0.0.1:%%d", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { body = "fine" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key());
        try (SluiceProcess sluice = SluiceProcess.start(directory, config,
                "export JAVA_TOOL_OPTIONS=-Dio.netty.handler.ssl.noOpenSsl=true;",
                ProcessBuilder.Redirect.to(output.toFile()));
             SSLSocket tls = (SSLSocket) certificates.clientContext().getSocketFactory()
                     .createSocket("127.0.0.1", sluice.port())) {
            tls.setSoTimeout(10_000);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.2"});
            tls.setSSLParameters(parameters);
            assertTrue(TlsClients.get(tls, "localhost", "/").endsWith("fine"));
            assertThrows(IOException.class, () -> {
                tls.startHandshake();
                TlsClients.get(tls, "localhost", "/");
            }, "the renegotiation was accepted and the request after it answered");
        }
        String log = Files.readString(output);
        assertTrue(log.contains("TLS provider: JDK"), log);
    }
}
