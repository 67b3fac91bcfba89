package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.sluice.testing.RawHttp2.DATA;
import static io.sluice.testing.RawHttp2.END_HEADERS;
import static io.sluice.testing.RawHttp2.END_STREAM;
import static io.sluice.testing.RawHttp2.HEADERS;
import static io.sluice.testing.RawHttp2.RST_STREAM;
import static io.sluice.testing.RawHttp2.SETTINGS;
import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that stops reading a proxied response, resets it half-way, or stops sending its request body half-way
 * must not hold an upstream connection: once the client's own clock ({@code send-timeout}, {@code body-timeout})
 * has run out, or at once on a reset, the upstream connection is closed, not kept paused and not pooled with an
 * exchange half-done. The upstream clocks are set far beyond the test's waits, so only the client's clocks can
 * release it.
 */
class HostileClientsIT {
    private static final long ENDLESS = 1L << 40;
    private static final long RELEASE_SECONDS = 10;

    private static ScriptedBackend backend;
    private static RunningSluice sluice;
    private static final ConcurrentHashMap<String, CountDownLatch> released = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, AtomicLong> backendWrote = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, ByteArrayOutputStream> backendRead = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        for (String path : new String[] {"/endless-h1", "/endless-h2-window", "/endless-h2-reset"}) {
            released.put(path, new CountDownLatch(1));
            backendWrote.put(path, new AtomicLong());
            backend.on(path, HostileClientsIT::writeForever);
        }
        for (String path : new String[] {"/sink-h1", "/sink-h2", "/sink-expect"}) {
            released.put(path, new CountDownLatch(1));
            backendRead.put(path, new ByteArrayOutputStream());
            backend.on(path, HostileClientsIT::readUntilClosed);
        }
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 1s, body-timeout = 1s }
                  upstreams { app { servers = [ { address = "%s" } ], read-timeout = 60s, send-timeout = 60s } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/", proxy { upstream = app } }
                  ] } ]
                }""".formatted(backend.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    /** A response of a length no client reads to the end; the connection's end is its release. */
    private static boolean writeForever(ScriptedBackend.Received request, Socket socket, OutputStream out) {
        String path = request.path();
        byte[] chunk = new byte[64 * 1024];
        try {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: " + ENDLESS + "\r\n\r\n");
            while (true) {
                out.write(chunk);
                backendWrote.get(path).addAndGet(chunk.length);
            }
        } catch (IOException closedByProxy) {
            released.get(path).countDown();
            return false;
        }
    }

    /** Reads the request body as it comes, never answering; the connection's end is its release. */
    private static boolean readUntilClosed(ScriptedBackend.Received request, Socket socket, OutputStream out) {
        String path = request.path();
        ByteArrayOutputStream body = backendRead.get(path);
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (body) {
                    body.write(buffer, 0, n);
                }
            }
        } catch (IOException resetByProxy) {
            // a reset is a release too
        }
        released.get(path).countDown();
        return false;
    }

    private static void assertReleased(String path) throws InterruptedException {
        assertTrue(released.get(path).await(RELEASE_SECONDS, TimeUnit.SECONDS),
                "the upstream connection of " + path + " is still held " + RELEASE_SECONDS + " s on");
    }

    private static String bodyRead(String path) {
        ByteArrayOutputStream body = backendRead.get(path);
        synchronized (body) {
            return body.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void http1ClientThatStopsReadingReleasesTheUpstreamConnection() throws Exception {
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(16 * 1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
            stalled.getOutputStream().write("GET /endless-h1 HTTP/1.1\r\nHost: a\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertReleased("/endless-h1");
        }
        assertTrue(backendWrote.get("/endless-h1").get() < (64L << 20),
                "the proxy read on while the client did not: " + backendWrote.get("/endless-h1").get());
    }

    @Test
    void http2StreamWhoseClientNeverOpensItsWindowReleasesTheUpstreamConnection() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            client.write(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(0).array());
            client.write(HEADERS, END_HEADERS | END_STREAM, 1, RawHttp2.getRequest("/endless-h2-window"));
            client.flush();
            assertReleased("/endless-h2-window");
        }
        assertTrue(backendWrote.get("/endless-h2-window").get() < (64L << 20),
                "the proxy read on while the client did not: " + backendWrote.get("/endless-h2-window").get());
    }

    @Test
    void http2StreamResetMidBodyReleasesTheUpstreamConnection() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            client.write(HEADERS, END_HEADERS | END_STREAM, 1, RawHttp2.getRequest("/endless-h2-reset"));
            client.flush();
            for (RawHttp2.Frame frame = client.read(); frame != null && frame.type() != DATA; frame = client.read()) {
                // settings and the response head come first
            }
            client.write(RST_STREAM, 0, 1, ByteBuffer.allocate(4).putInt(0x8).array());
            client.flush();
            assertReleased("/endless-h2-reset");
        }
    }

    @Test
    void http1BodyStalledHalfWayReleasesTheUpstreamConnectionWithoutEndingTheBody() throws Exception {
        try (RawHttp client = new RawHttp(sluice.port())) {
            client.send("POST /sink-h1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "64\r\n" + "b".repeat(100) + "\r\n");
            assertReleased("/sink-h1");
            String answer = client.readUntilClosed();
            assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 408 "), answer);
        }
        assertFalse(bodyRead("/sink-h1").endsWith("0\r\n\r\n"), "a cut body was passed on as complete");
    }

    @Test
    void http2BodyStalledHalfWayReleasesTheUpstreamConnectionWithoutEndingTheBody() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            client.write(HEADERS, END_HEADERS, 1, RawHttp2.postRequest("/sink-h2"));
            client.write(DATA, 0, 1, "b".repeat(100).getBytes(StandardCharsets.US_ASCII));
            client.flush();
            assertReleased("/sink-h2");
        }
        assertFalse(bodyRead("/sink-h2").endsWith("0\r\n\r\n"), "a cut body was passed on as complete");
    }

    @Test
    void expectContinueNeverFollowedByTheBodyReleasesEverything() throws Exception {
        try (RawHttp client = new RawHttp(sluice.port(), 10_000)) {
            client.send("POST /sink-expect HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
            String answer = client.readUntilClosed();
            assertTrue(answer.isEmpty() || answer.contains(" 408 "), answer);
        }
        if (!backend.received.stream().filter(r -> r.path().equals("/sink-expect")).toList().isEmpty()) {
            assertReleased("/sink-expect");
        }
    }
}
