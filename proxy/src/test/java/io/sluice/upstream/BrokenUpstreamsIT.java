package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static io.sluice.upstream.ScriptedBackend.reset;
import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault injection: a backend that misbehaves byte by byte. Whatever it does, the client gets a clear
 * error or a closed connection and never a second response it did not ask for, the broken connection is
 * never used again, and the next request is served.
 */
class BrokenUpstreamsIT {
    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        script();
        // one loop: every client connection shares one pool, so reuse is deterministic
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", read-timeout = 1s", "").replace("workers = 2", "workers = 1"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    private static void script() {
        backend.on("/reset-before-head", (request, socket, out) -> {
            reset(socket);
            return false;
        }).on("/reset-after-head", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
            Thread.sleep(100);
            reset(socket);
            return false;
        }).on("/hang", (request, socket, out) -> {
            Thread.sleep(4000);
            return false;
        }).on("/endless-continue", (request, socket, out) -> {
            for (int i = 0; i < 40; i++) {
                respond(out, "HTTP/1.1 100 Continue\r\n\r\n");
                Thread.sleep(200);
            }
            return false;
        }).on("/trickle-body", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n");
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100);
                respond(out, "0123456789");
            }
            return true;
        }).on("/trickle-stalls", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n0123456789");
            Thread.sleep(3000);
            respond(out, "x".repeat(190));
            return false;
        }).on("/garbage", (request, socket, out) -> {
            respond(out, "SSH-2.0-OpenSSH_9.6\r\n\r\n\u0000\u0001\u0002 not http at all\r\n\r\n");
            return true;
        }).on("/huge-head", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(100_000) + "\r\nContent-Length: 2\r\n\r\nok");
            return true;
        }).on("/short-then-close", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "y".repeat(10));
            return false;
        }).on("/short-then-hang", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "y".repeat(10));
            Thread.sleep(4000);
            return false;
        }).on("/long-at-once", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
            return true;
        }).on("/long-later", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            Thread.sleep(200);
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
            return true;
        }).on("/cl-and-chunked", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "8\r\nsmuggled\r\n0\r\n\r\n");
            return true;
        }).on("/two-lengths", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 13\r\n\r\nhellosmuggled");
            return true;
        }).on("/two-equal-lengths", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
            return true;
        }).on("/chunked-twice", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n");
            return true;
        }).on("/once-per-connection", (request, socket, out) -> {
            if (request.onConnection() > 1) {
                // the server gave up on the idle connection just as the proxy reused it
                socket.close();
                return false;
            }
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
            return true;
        });
    }

    private static RawHttp.Response get(String path) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            return raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
        }
    }

    private static List<ScriptedBackend.Received> receivedFor(String path) {
        return backend.receivedFor(path);
    }

    /**
     * A normal request right afterwards is served, and not on any connection the broken exchange used:
     * the pool never hands that connection out again.
     */
    private static void assertNextRequestServedFresh(String brokenPath) throws IOException {
        assertNextRequestServedFresh(receivedFor(brokenPath));
    }

    private static void assertNextRequestServedFresh(List<ScriptedBackend.Received> brokenOn) throws IOException {
        backend.assertNextRequestServedFresh(sluice.port(), brokenOn);
    }

    private static void assertErrorThenServed(String path, int status) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response response = raw.readResponse();
            assertEquals(status, response.status(), response.head());
            assertFalse(response.bodyText().contains("smuggled"), response.bodyText());
            // the error ends the exchange cleanly: the same client connection carries on
            raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", raw.readResponse().bodyText());
        }
        assertNextRequestServedFresh(path);
    }

    /** A response whose body stops short: the client sees the promised length and then a close. */
    private static void assertTruncatedThenClosed(String path, int promised) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
            assertTrue(all.toLowerCase(Locale.ROOT).contains("content-length: " + promised), all);
            int bodyLength = all.length() - all.indexOf("\r\n\r\n") - 4;
            assertTrue(bodyLength < promised, "a truncated body ends in a close: " + bodyLength);
            assertFalse(all.substring(all.indexOf("\r\n\r\n")).contains("HTTP/1.1"), all);
        }
        assertNextRequestServedFresh(path);
    }

    @Test
    void resetBeforeTheHeadIs502() throws Exception {
        assertErrorThenServed("/reset-before-head", 502);
    }

    @Test
    void resetAfterTheHeadClosesTheClientMidBody() throws Exception {
        assertTruncatedThenClosed("/reset-after-head", 100000);
    }

    @Test
    void hangingUpstreamIs504AfterReadTimeout() throws Exception {
        long start = System.nanoTime();
        assertErrorThenServed("/hang", 504);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 900, "answered after " + millis + "ms");
    }

    @Test
    void endlessInterimResponsesAre504AfterReadTimeout() throws Exception {
        long start = System.nanoTime();
        assertErrorThenServed("/endless-continue", 504);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 6000, "1xx responses are no progress towards an answer; answered after " + millis + "ms");
    }

    @Test
    void tricklingWithinReadTimeoutIsPassedOnWhole() throws Exception {
        RawHttp.Response response = get("/trickle-body");
        assertEquals(200, response.status());
        assertEquals("0123456789".repeat(20), response.bodyText());
        RawHttp.Response again = get("/ok");
        assertEquals("ok", again.bodyText());
    }

    @Test
    void tricklingThatStallsPastReadTimeoutIsCut() throws Exception {
        assertTruncatedThenClosed("/trickle-stalls", 200);
    }

    @Test
    void garbageInsteadOfHttpIs502() throws Exception {
        assertErrorThenServed("/garbage", 502);
    }

    @Test
    void headerSectionTooLargeIs502() throws Exception {
        assertErrorThenServed("/huge-head", 502);
    }

    @Test
    void fewerBytesThanContentLengthThenCloseIsTruncatedAndClosed() throws Exception {
        assertTruncatedThenClosed("/short-then-close", 100);
    }

    @Test
    void fewerBytesThanContentLengthThenSilenceIsCutByReadTimeout() throws Exception {
        assertTruncatedThenClosed("/short-then-hang", 100);
    }

    @Test
    void bytesBeyondContentLengthInTheSameReadNeverReachTheClient() throws Exception {
        assertExtraBytesDropped("/long-at-once", 0);
    }

    @Test
    void bytesBeyondContentLengthArrivingLaterNeverReachTheClient() throws Exception {
        assertExtraBytesDropped("/long-later", 600);
    }

    private static void assertExtraBytesDropped(String path, long pauseMillis) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("hello", raw.readResponse().bodyText());
            Thread.sleep(pauseMillis);
            raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response next = raw.readResponse();
            assertEquals(200, next.status());
            assertEquals("ok", next.bodyText(), "the upstream's extra bytes must not become the next response");
        }
        assertNextRequestServedFresh(path);
    }

    @Test
    void contentLengthWithChunkedIs502() throws Exception {
        assertErrorThenServed("/cl-and-chunked", 502);
    }

    @Test
    void twoDifferentContentLengthsIs502() throws Exception {
        assertErrorThenServed("/two-lengths", 502);
    }

    @Test
    void twoEqualContentLengthsIs502() throws Exception {
        assertErrorThenServed("/two-equal-lengths", 502);
    }

    @Test
    void chunkedTwiceIs502() throws Exception {
        assertErrorThenServed("/chunked-twice", 502);
    }

    @Test
    void keepAliveConnectionClosedAsItIsReusedIsRetriedForIdempotentRequests() throws Exception {
        assertEquals("first", get("/once-per-connection").bodyText());
        int connectionsBefore = backend.connections();
        RawHttp.Response second = get("/once-per-connection");
        assertEquals(200, second.status(), "the client never sees the race");
        assertEquals("first", second.bodyText());
        assertTrue(backend.connections() > connectionsBefore, "the retry went out on a fresh connection");
        List<ScriptedBackend.Received> stale = receivedFor("/once-per-connection").stream()
                .filter(request -> request.onConnection() > 1).toList();
        assertFalse(stale.isEmpty(), "the test reused a kept-alive connection");
        assertNextRequestServedFresh(stale);
    }

    @Test
    void keepAliveConnectionClosedAsItIsReusedFailsNonIdempotentRequestsWithoutRepeating() throws Exception {
        // leaves only connections that have served a request in the pool: the POST meets a closing one
        assertEquals("first", get("/once-per-connection").bodyText());
        int before = receivedFor("/once-per-connection").size();
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /once-per-connection HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
            RawHttp.Response response = raw.readResponse();
            assertEquals(502, response.status(), "a POST may have had effects: it is not sent twice");
        }
        Thread.sleep(200);
        assertEquals(1, receivedFor("/once-per-connection").size() - before);
        assertNextRequestServedFresh(receivedFor("/once-per-connection").stream()
                .filter(request -> request.onConnection() > 1).toList());
    }
}
