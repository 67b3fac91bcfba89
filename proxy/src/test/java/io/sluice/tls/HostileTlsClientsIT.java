package io.sluice.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS clients that are slow, broken or hostile: each costs Sluice a bounded time and at most one quiet log line,
 * never a warning with a stack trace, and the next client is served. Header timeouts are short (3 s) only where
 * a test waits for them, and every wait is bounded well above them, so that a loaded machine does not fail the class.
 */
class HostileTlsClientsIT {
    private static final String SHORT = "3s";
    private static final String LONG = "30s";
    private static final int CLOSE_WITHIN_MILLIS = 10_000;
    private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static TestCertificates.Leaf leaf;

    /** Every event of level WARN or above that any logger sent while a test ran. */
    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                super.append(event);
            }
        }
    };

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.create(directory);
        leaf = certificates.issue("hostile", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
    }

    @BeforeEach
    void watchWarnings() {
        warnings.start();
        root().addAppender(warnings);
    }

    @AfterEach
    void stopWatching() {
        root().detachAppender(warnings);
        warnings.stop();
    }

    /** Timeouts as short as the tests that wait for them can bear on a loaded machine; long where nothing waits. */
    private static String config(String listenOptions, int maxConnections, String headerTimeout) {
        return """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  limits { header-timeout = %s, keepalive-timeout = %s, max-connections = %d }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true %s } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "fine" } } ] } ]
                }""".formatted(headerTimeout, headerTimeout, maxConnections, listenOptions, leaf.chain(), leaf.key());
    }

    @Test
    void handshakesThatNeverFinishEndAtTheHeaderTimeoutAndGiveBackTheirSlots() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("", 3, SHORT))) {
            byte[] hello = clientHello();
            try (Socket silent = open(sluice);
                 Socket halfHello = open(sluice);
                 Socket wholeHello = open(sluice)) {
                halfHello.getOutputStream().write(Arrays.copyOf(hello, hello.length / 2));
                wholeHello.getOutputStream().write(hello);
                try (Socket fourth = open(sluice)) {
                    assertClosed(fourth, "past max-connections while three handshakes stall");
                }
                long start = System.nanoTime();
                assertClosed(silent, "a client that sends nothing");
                assertClosed(halfHello, "a client that stops halfway through its ClientHello");
                assertClosed(wholeHello, "a client that sends its ClientHello and then nothing");
                long waitedMillis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(waitedMillis < CLOSE_WITHIN_MILLIS, "closed after " + waitedMillis + " ms");
            }
            try (Socket trickle = open(sluice)) {
                long start = System.nanoTime();
                OutputStream out = trickle.getOutputStream();
                assertThrows(IOException.class, () -> {
                    for (byte b : hello) {
                        out.write(b);
                        Thread.sleep(100);
                    }
                }, "a ClientHello sent a byte at a time");
                assertTrue(System.nanoTime() - start < CLOSE_WITHIN_MILLIS * 1_000_000L);
            }
            assertServed(sluice);
        }
        // the operator hears once that the limit was reached; the stalled handshakes themselves say nothing
        assertNoWarnings("io.sluice.server.OpenConnections");
    }

    @Test
    void clientRenegotiationIsRefusedAndEndsTheConnection() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("", 100, LONG));
             SSLSocket tls = handshake(open(sluice), "http/1.1", "TLSv1.2")) {
            assertTrue(TlsClients.get(tls, "localhost", "/").endsWith("fine"));
            tls.startHandshake();
            assertThrows(IOException.class, () -> TlsClients.get(tls, "localhost", "/"));
            assertServed(sluice);
        }
        assertNoWarnings();
    }

    @Test
    void bytesThatAreNotTlsEndTheConnectionQuietly() throws Exception {
        List<byte[]> attempts = List.of(
                "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                new byte[64],
                // a handshake record whose body is no ClientHello
                concat(new byte[] {0x16, 3, 1, 0, 8}, new byte[] {9, 9, 9, 9, 9, 9, 9, 9}),
                // a ClientHello that claims 16 MiB: past the SNI stage's 64 KiB limit (this one logged two warnings)
                new byte[] {0x16, 3, 1, 0, 4, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff},
                // an SSLv2-style hello
                concat(new byte[] {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02}, new byte[45]),
                // a fatal alert before anything else
                new byte[] {0x15, 3, 3, 0, 2, 2, 40});
        try (RunningSluice sluice = RunningSluice.start(config("", 100, LONG))) {
            for (byte[] attempt : attempts) {
                try (Socket socket = open(sluice)) {
                    socket.getOutputStream().write(attempt);
                    assertClosed(socket, "after " + attempt.length + " bytes that are not a TLS handshake");
                }
            }
            assertServed(sluice);
        }
        assertNoWarnings();
    }

    @Test
    void aBrokenProxyProtocolHeaderBeforeTlsEndsTheConnectionQuietly() throws Exception {
        byte[] signature = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
        byte[] v4Addresses = {1, 2, 3, 4, 127, 0, 0, 1, 0x04, (byte) 0xd2, 0, 80};
        List<byte[]> headers = List.of(
                "PROXY GARBAGE\r\n".getBytes(StandardCharsets.US_ASCII),
                // a client that skipped the balancer
                "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                // v2, TCP over IPv4, with 5 address bytes of the 12 it needs
                concat(signature, new byte[] {0x21, 0x11, 0, 5, 1, 2, 3, 4, 5}),
                // v2 with an SSL TLV of 0xff bytes: its first sub-TLV claims 65535 bytes it does not have
                concat(signature, new byte[] {0x21, 0x11, 0, 12 + 3 + 100}, v4Addresses,
                        new byte[] {0x20, 0, 100}, filled(100, (byte) 0xff)));
        try (RunningSluice sluice = RunningSluice.start(config(", proxy-protocol = true", 100, LONG))) {
            for (byte[] header : headers) {
                try (Socket socket = open(sluice)) {
                    socket.getOutputStream().write(header);
                    assertClosed(socket, "after a broken PROXY header of " + header.length + " bytes");
                }
            }
            try (Socket socket = open(sluice)) {
                // half a v1 header, then the client's end of the stream: the decoder fails on the close
                socket.getOutputStream().write("PROXY TCP4 203.0.113.7 ".getBytes(StandardCharsets.US_ASCII));
                socket.shutdownOutput();
                assertClosed(socket, "after half a PROXY header");
            }
        }
        assertNoWarnings();
    }

    /**
     * A balancer may send its PROXY header as soon as it has connected, before the client's first bytes (AWS's
     * network load balancer does): then the header comes in a read of its own. The handshake must follow it.
     * It did not: the stage that read the header asked for no more bytes, the connection waited for its header
     * timeout and was reset.
     */
    @Test
    void aProxyProtocolHeaderThatComesAloneIsFollowedByTheHandshake() throws Exception {
        byte[] v1 = "PROXY TCP4 203.0.113.7 127.0.0.1 5555 443\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] v2 = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0, 12,
                (byte) 203, 0, 113, 7, 127, 0, 0, 1, 0x15, (byte) 0xb3, 0x01, (byte) 0xbb};
        try (RunningSluice sluice = RunningSluice.start(config(", proxy-protocol = true", 100, LONG))) {
            for (byte[] header : List.of(v1, v2)) {
                try (Socket raw = open(sluice)) {
                    raw.setTcpNoDelay(true);
                    raw.getOutputStream().write(header);
                    // the header's own read is over before the ClientHello leaves
                    Thread.sleep(100);
                    SSLSocket tls = handshake(raw, "http/1.1");
                    String response = TlsClients.get(tls, "localhost", "/");
                    assertTrue(response.startsWith("HTTP/1.1 200") && response.endsWith("fine"), response);
                }
            }
        }
        assertNoWarnings();
    }

    @Test
    void anHttp2ClientThatBreaksTheProtocolIsClosedQuietly() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("", 100, LONG))) {
            try (SSLSocket tls = handshake(open(sluice), "h2")) {
                assertEquals("h2", tls.getApplicationProtocol());
                write(tls, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertClosed(tls, "an HTTP/1.1 request where the HTTP/2 preface belongs");
            }
            try (SSLSocket tls = handshake(open(sluice), "h2")) {
                // a SETTINGS frame 5 bytes long: not a multiple of 6, a connection error (RFC 9113 §6.5)
                write(tls, concat(H2_PREFACE, new byte[] {0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
                assertClosed(tls, "a malformed SETTINGS frame");
            }
            assertServed(sluice);
        }
        assertNoWarnings();
    }

    @Test
    void anHttp2ClientThatNeverSendsThePrefaceIsClosedAtTheHeaderTimeout() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("", 100, SHORT));
             SSLSocket tls = handshake(open(sluice), "h2")) {
            assertEquals("h2", tls.getApplicationProtocol());
            long start = System.nanoTime();
            assertClosed(tls, "an h2 connection without a preface");
            assertTrue(System.nanoTime() - start < CLOSE_WITHIN_MILLIS * 1_000_000L);
        }
        assertNoWarnings();
    }

    /**
     * A client that asks for a large response and never reads it is cut off at {@code send-timeout} without a
     * close_notify: the TLS handler queued one behind the unsent bytes, held the connection 3 s more for it and
     * then logged a warning (Netty's "Last write attempt timed out"), one per such client.
     */
    @Test
    void aClientThatNeverReadsItsResponseIsCutOffWithoutAWarning() throws Exception {
        Path root = Files.createDirectories(directory.resolve("unread"));
        Files.write(root.resolve("large.bin"), new byte[8 << 20]);
        String config = """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  limits { send-timeout = 1s, header-timeout = 30s, keepalive-timeout = 30s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/files/", static { root = "%s" } }
                      { match = "/", return { status = 200, body = "fine" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key(), root);
        try (RunningSluice sluice = RunningSluice.start(config)) {
            Socket raw = new Socket();
            raw.setReceiveBufferSize(4096);
            raw.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port()));
            try (SSLSocket tls = handshake(raw, "http/1.1")) {
                write(tls, "GET /files/large.bin HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                long start = System.nanoTime();
                long deadline = start + 15_000_000_000L;
                while (sluice.server().activeConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                long closedAfterMillis = (System.nanoTime() - start) / 1_000_000;
                assertEquals(0, sluice.server().activeConnections(), "still open after " + closedAfterMillis + " ms");
            }
            assertServed(sluice);
        }
        assertNoWarnings();
    }

    private static Socket open(RunningSluice sluice) throws IOException {
        Socket socket = new Socket("127.0.0.1", sluice.port());
        socket.setSoTimeout(CLOSE_WITHIN_MILLIS);
        return socket;
    }

    private static SSLSocket handshake(Socket raw, String protocol, String... versions) throws Exception {
        SSLSocket tls = (SSLSocket) certificates.clientContext().getSocketFactory()
                .createSocket(raw, "localhost", raw.getPort(), true);
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {protocol});
        if (versions.length > 0) {
            parameters.setProtocols(versions);
        }
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        return tls;
    }

    /** The first record a TLS client sends: its ClientHello, made by the JDK's engine without a connection. */
    private static byte[] clientHello() throws Exception {
        SSLEngine engine = certificates.clientContext().createSSLEngine("localhost", 443);
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static void assertServed(RunningSluice sluice) throws Exception {
        try (SSLSocket tls = handshake(open(sluice), "http/1.1")) {
            String response = TlsClients.get(tls, "localhost", "/");
            assertTrue(response.startsWith("HTTP/1.1 200") && response.endsWith("fine"), response);
        }
    }

    /** Reads until the server closes; fails if it does not within {@link #CLOSE_WITHIN_MILLIS}. */
    private static void assertClosed(Socket socket, String what) throws IOException {
        socket.setSoTimeout(CLOSE_WITHIN_MILLIS);
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[16384];
        try {
            while (in.read(buffer) >= 0) {
                // whatever the server says before it closes (an alert, SETTINGS, GOAWAY) is not looked at here
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + ": connection still open after " + CLOSE_WITHIN_MILLIS + " ms", e);
        } catch (SSLException | SocketException closed) {
            // an alert or a reset ends it too
        }
    }

    private static void write(SSLSocket tls, byte[] bytes) throws IOException {
        tls.getOutputStream().write(bytes);
        tls.getOutputStream().flush();
    }

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] joined = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, joined, at, part.length);
            at += part.length;
        }
        return joined;
    }

    private void assertNoWarnings(String... allowedLoggers) {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : warnings.list) {
            if (Arrays.asList(allowedLoggers).contains(event.getLoggerName())) {
                continue;
            }
            lines.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : " / " + event.getThrowableProxy().getMessage()));
        }
        assertEquals(List.of(), lines, "hostile clients are not worth a warning");
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
