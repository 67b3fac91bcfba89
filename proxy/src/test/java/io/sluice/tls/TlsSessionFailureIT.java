package io.sluice.tls;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS record that does not decrypt, sent after a good handshake, ends the connection at once: with a fatal
 * alert and a close, not after the header or keep-alive timeout (both a minute here). Before
 * {@link TlsSessionEnd} an HTTP/1.1 connection between requests stayed open until its timeout; so did an HTTP/2
 * connection while its streams were child channels (the error reached the end of the pipeline).
 */
class TlsSessionFailureIT {
    private static final long CLOSE_WITHIN_MILLIS = 5_000;

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static TestCertificates.Leaf leaf;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.create(directory);
        leaf = certificates.issue("failure", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
    }

    private static String config() {
        return """
                sluice {
                  workers = 1
                  limits { header-timeout = 60s, keepalive-timeout = 60s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "fine" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key());
    }

    @Test
    void http1ConnectionBetweenRequestsClosesOnARecordThatDoesNotDecrypt() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config());
             Socket raw = new Socket("127.0.0.1", sluice.port());
             SSLSocket tls = handshake(raw, "http/1.1")) {
            String response = TlsClients.get(tls, "localhost", "/");
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.endsWith("fine"), response);
            assertClosedAfterBadRecord(raw);
        }
    }

    @Test
    void http2ConnectionClosesOnARecordThatDoesNotDecrypt() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config());
             Socket raw = new Socket("127.0.0.1", sluice.port());
             SSLSocket tls = handshake(raw, "h2")) {
            assertEquals("h2", tls.getApplicationProtocol());
            tls.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // empty SETTINGS
            tls.getOutputStream().flush();
            assertClosedAfterBadRecord(raw);
        }
    }

    @Test
    void theNextConnectionIsServed() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config())) {
            try (Socket raw = new Socket("127.0.0.1", sluice.port()); SSLSocket tls = handshake(raw, "http/1.1")) {
                assertClosedAfterBadRecord(raw);
            }
            try (Socket raw = new Socket("127.0.0.1", sluice.port()); SSLSocket tls = handshake(raw, "http/1.1")) {
                assertTrue(TlsClients.get(tls, "localhost", "/").endsWith("fine"));
            }
        }
    }

    /** A TLS connection layered over {@code raw}, so that bytes can also be written past the TLS session. */
    private static SSLSocket handshake(Socket raw, String protocol) throws Exception {
        raw.setSoTimeout(10_000);
        SSLSocket tls = (SSLSocket) certificates.clientContext().getSocketFactory()
                .createSocket(raw, "localhost", raw.getPort(), false);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {protocol});
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        return tls;
    }

    /**
     * Writes an application-data record of zeros (its authentication tag cannot match) straight to the
     * socket, then reads what the server sends until it closes: it must close well within the timeouts.
     */
    private static void assertClosedAfterBadRecord(Socket raw) throws IOException {
        byte[] record = new byte[5 + 64];
        record[0] = 0x17;
        record[1] = 0x03;
        record[2] = 0x03;
        record[4] = 64;
        raw.getOutputStream().write(record);
        raw.getOutputStream().flush();
        long start = System.nanoTime();
        raw.setSoTimeout((int) CLOSE_WITHIN_MILLIS);
        InputStream in = raw.getInputStream();
        byte[] buffer = new byte[16384];
        try {
            while (in.read(buffer) >= 0) {
                assertTrue(System.nanoTime() - start < CLOSE_WITHIN_MILLIS * 1_000_000L, "still sending");
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open " + CLOSE_WITHIN_MILLIS + " ms after a bad record", e);
        } catch (SocketException reset) {
            // a reset after the alert is a close too
        }
    }
}
