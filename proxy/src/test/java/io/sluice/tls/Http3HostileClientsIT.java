package io.sluice.tls;

import io.sluice.testing.Http3TestClient;
import io.sluice.testing.OpenDescriptors;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/3 clients that try to hold what a request stream or a connection takes: a response they never read
 * (the stream's flow-control window stays closed), a request body that stops half-way, a flood of requests
 * reset right after their HEADERS, and a connection that asks for nothing but keeps talking. The clocks are
 * set to a second or two; each test watches the resource itself (the open file, the upstream connection, the
 * QUIC connection) for at most 10 s.
 */
class Http3HostileClientsIT {
    private static final int FILE_SIZE = 32 << 20;
    private static final long BACKEND_BOUND = 16L << 20;
    private static final long WAIT_SECONDS = 10;

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static RunningSluice sluice;
    static ServerSocket backend;
    /** The upstream connections the backend has open now, and the body bytes it wrote on the last endless one. */
    static final AtomicInteger backendOpen = new AtomicInteger();
    static final AtomicLong backendWrote = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3-hostile", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path root = Files.createDirectories(directory.resolve("www"));
        Files.write(root.resolve("big.bin"), new byte[FILE_SIZE]);
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(Http3HostileClientsIT::acceptUpstreamConnections, "h3-hostile-backend");
        acceptor.setDaemon(true);
        acceptor.start();
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 1s, header-timeout = 1s, body-timeout = 1s, keepalive-timeout = 2s }
                  http3 { max-concurrent-streams = 8, idle-timeout = 3s }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ], read-timeout = 60s } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [
                      { match = "/files/", static { root = "%s", open-file-cache { max = 0 } } }
                      { match = "/app/", proxy { upstream = app } }
                      { match = "= /hello", return { status = 200, body = "hello" } }
                    ] } ]
                }""".formatted(backend.getLocalPort(), leaf.chain(), leaf.key(), root));
    }

    @AfterAll
    static void stop() throws IOException {
        sluice.close();
        backend.close();
    }

    /**
     * The backend: {@code GET /app/endless} is answered with a body far larger than any window, written until
     * the proxy closes the connection; {@code GET /app/cut} with part of a chunked body, then a close; any other
     * request has its body read until the proxy closes.
     */
    private static void acceptUpstreamConnections() {
        while (!backend.isClosed()) {
            try {
                Socket socket = backend.accept();
                Thread serving = new Thread(() -> serveUpstream(socket), "h3-hostile-upstream");
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void serveUpstream(Socket socket) {
        backendOpen.incrementAndGet();
        try (socket) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head.startsWith("GET /app/cut ")) {
                // a chunked body that the upstream abandons half-way: no last chunk, the connection just closes
                socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2710\r\n" + "x".repeat(10_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                return;
            }
            if (head.startsWith("GET /app/endless ")) {
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + (1L << 40) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 * 1024];
                backendWrote.set(0);
                while (true) {
                    out.write(chunk);
                    backendWrote.addAndGet(chunk.length);
                }
            }
            while (in.read() >= 0) {
                // the request body: read until the proxy lets go
            }
        } catch (IOException closedByProxy) {
            // what the tests wait for
        } finally {
            backendOpen.decrementAndGet();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the request head ended");
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private static Http3TestClient client() throws Exception {
        return Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                sluice.port("udp/127.0.0.1:0"), 64 * 1024);
    }

    /** How many descriptors of this process (Sluice runs in it) are open on the big file. */
    private static long openFileHandles() throws IOException {
        return OpenDescriptors.on(directory.resolve("www").resolve("big.bin"));
    }

    private static boolean within(long seconds, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    @Test
    void aStaticFileNobodyReadsIsClosedAndItsStreamEndedAfterTheSendTimeout() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.UnreadResponse unread = client.sendWithoutReading("GET", "/files/big.bin", null, 0);
            assertTrue(within(WAIT_SECONDS, () -> openFileHandles() > 0), "the file was opened");
            assertTrue(within(WAIT_SECONDS, () -> openFileHandles() == 0),
                    "the file is still open " + WAIT_SECONDS + " s after a 1 s send-timeout");
            Http3TestClient.Ending ending = unread.readOn().get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertFalse(ending.complete(), "the cut response ended like a whole one: " + ending);
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        }
    }

    @Test
    void aProxiedResponseNobodyReadsReleasesItsUpstreamAfterTheSendTimeout() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.UnreadResponse unread = client.sendWithoutReading("GET", "/app/endless", null, 0);
            assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() > 0), "the upstream was asked");
            assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() == 0),
                    "the upstream connection is still held " + WAIT_SECONDS + " s after a 1 s send-timeout");
            assertTrue(backendWrote.get() < BACKEND_BOUND, "Sluice read on while the client did not: "
                    + backendWrote.get() + " bytes");
            Http3TestClient.Ending ending = unread.readOn().get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertFalse(ending.complete(), "the cut response ended like a whole one: " + ending);
        }
    }

    /** A cut response must not look complete: HTTP/3 has no last chunk, only the stream's end (RFC 9114 §4.1). */
    @Test
    void aResponseTheUpstreamCutsShortIsResetNotEnded() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.Ending ending = client.sendWithoutReading("GET", "/app/cut", null, 0).readOn()
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(200, ending.status());
            assertEquals(10_000, ending.bodyBytes());
            assertFalse(ending.complete(), "the cut response ended like a whole one");
        }
    }

    @Test
    void aRequestBodyThatStopsHalfWayEndsItsStreamAndReleasesTheUpstream() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.UnreadResponse stalled = client.sendWithoutReading("POST", "/app/upload",
                    new byte[100], 1000);
            assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() > 0), "the upstream was asked");
            Http3TestClient.Ending ending = stalled.readOn().get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(ending.status() == 408 || !ending.complete(), "408 or a reset: " + ending);
            assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() == 0),
                    "the upstream connection is still held " + WAIT_SECONDS + " s after a 1 s body-timeout");
        }
    }

    /**
     * As many streams as the connection may have open, none sending its request: each is reset after
     * header-timeout. (The client does not always get their places back: see the results of session 24.)
     */
    @Test
    void streamsThatNeverSendARequestAreResetAfterTheHeaderTimeout() throws Exception {
        try (Http3TestClient client = client()) {
            CountDownLatch ended = new CountDownLatch(8);
            for (int i = 0; i < 8; i++) {
                client.openStreamWithoutRequest().thenRun(ended::countDown);
            }
            assertTrue(ended.await(WAIT_SECONDS, TimeUnit.SECONDS), "streams still open after a 1 s header-timeout: "
                    + ended.getCount() + " of 8");
        }
    }

    @Test
    void requestsResetRightAfterTheirHeadersHoldNoUpstreamConnection() throws Exception {
        try (Http3TestClient client = client()) {
            client.sendAndReset("/app/endless", 500);
            assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() == 0),
                    "upstream connections still held: " + backendOpen.get());
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        } catch (java.util.concurrent.ExecutionException closedBySluice) {
            // ending the connection of a flood is an answer too
        }
        assertTrue(within(WAIT_SECONDS, () -> backendOpen.get() == 0),
                "upstream connections still held: " + backendOpen.get());
    }

    @Test
    void aConnectionThatAsksForNothingIsClosedAfterTheKeepaliveTimeoutThoughItKeepsTalking() throws Exception {
        try (Http3TestClient client = client()) {
            assertEquals(200, client.get("/hello").status());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            boolean closed = false;
            while (!closed && System.nanoTime() < deadline) {
                client.sendIgnorableFrame();
                closed = client.closedByServer(500, TimeUnit.MILLISECONDS);
            }
            assertTrue(closed, "a connection without requests is still open " + WAIT_SECONDS
                    + " s on, after a 2 s keepalive-timeout");
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheQuicIdleTimeout() throws Exception {
        try (Http3TestClient client = client()) {
            assertEquals(200, client.get("/hello").status());
            assertTrue(within(WAIT_SECONDS, () -> sluice.server().activeConnections() == 0),
                    "a silent connection is still open " + WAIT_SECONDS + " s on, after a 3 s idle-timeout");
        }
    }
}
