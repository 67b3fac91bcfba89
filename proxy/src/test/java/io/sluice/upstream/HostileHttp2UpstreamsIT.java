package io.sluice.upstream;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code protocol = h2c} upstreams that refuse, go away, push, flood or starve, written frame by frame
 * ({@link ScriptedHttp2Backend}). A request the server says it did not process (RST_STREAM REFUSED_STREAM,
 * or a GOAWAY naming an earlier stream, RFC 9113 §8.7) is sent again, whatever its method; everything else
 * ends in a clear status for the client, and the next request is served.
 */
class HostileHttp2UpstreamsIT {
    private static final int REFUSED_STREAM = 0x7;
    private static ScriptedHttp2Backend backend;
    /** Refuses the first stream of every connection. */
    private static ScriptedHttp2Backend refusing;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedHttp2Backend(100);
        refusing = new ScriptedHttp2Backend(100);
        script();
        // one loop: every request shares one upstream connection while it takes streams
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  upstreams {
                    app { protocol = h2c, servers = [ { address = "%s" } ], read-timeout = 1s, send-timeout = 1s }
                    refusing { protocol = h2c, servers = [ { address = "%s" } ], read-timeout = 1s }
                  }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/fresh/", proxy { upstream = refusing } }
                    { match = "/", proxy { upstream = app } }
                  ] } ]
                }""".formatted(backend.address(), refusing.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
        refusing.close();
    }

    private static void script() {
        Set<Integer> refusedOn = ConcurrentHashMap.newKeySet();
        refusing.on("/fresh/refused-first", (peer, stream, request) -> {
            if (refusedOn.add(peer.number)) {
                peer.reset(stream, REFUSED_STREAM);
            } else {
                peer.answer(stream, "200", "second try");
            }
        });
        AtomicBoolean postRefused = new AtomicBoolean();
        Map<Integer, List<Integer>> heldByConnection = new ConcurrentHashMap<>();
        AtomicInteger goneAway = new AtomicInteger();
        backend.on("/refused-once", (peer, stream, request) -> {
            if (postRefused.compareAndSet(false, true)) {
                peer.reset(stream, REFUSED_STREAM);
            } else {
                peer.answer(stream, "200", "second try");
            }
        }).on("/goaway-in-flight", (peer, stream, request) -> {
            int gone = goneAway.get();
            if (gone != 0 && gone != peer.number) {
                peer.answer(stream, "200", "retried");
                return;
            }
            List<Integer> held = heldByConnection.computeIfAbsent(peer.number, key -> new ArrayList<>());
            held.add(stream);
            if (held.size() == 3) {
                // the first stream was processed; the two after it were not, and the server says so
                goneAway.set(peer.number);
                peer.goAway(held.get(0), 0);
                peer.answer(held.get(0), "200", "processed");
            }
        }).on("/push", (peer, stream, request) -> {
            peer.pushPromise(stream, 2, new DefaultHttp2Headers().method("GET").path("/pushed").scheme("http")
                    .authority("a"));
            peer.answer(stream, "200", "pushing");
        }).on("/huge-head", (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200").add("x-big", "b".repeat(200_000)), true);
        }).on("/refused-after-head", (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200").add("content-length", "10"), false);
            peer.data(stream, "hello", false);
            peer.reset(stream, REFUSED_STREAM);
        }).on("/starve", (peer, stream, request) -> peer.starve(stream));
        backend.on("/connection-specific", (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200").add("transfer-encoding", "chunked")
                    .add("content-length", "8"), false);
            peer.data(stream, "smuggled", true);
        }).on("/uppercase-field", (peer, stream, request) -> {
            // field names must be lowercase in HTTP/2 (RFC 9113 §8.2.1): the headers are built unchecked
            peer.headers(stream, new DefaultHttp2Headers(false).status("200").add("X-Upper", "1"), true);
        }).on("/bad-status", (peer, stream, request) -> {
            peer.headers(stream, new DefaultHttp2Headers(false).status("2x0"), true);
        }).on("/status-101", (peer, stream, request) -> {
            peer.headers(stream, new DefaultHttp2Headers(false).status("101"), true);
        }).on("/status-99", (peer, stream, request) -> {
            peer.headers(stream, new DefaultHttp2Headers(false).status("099"), false);
        }).on("/answer-then-stop-upload", (peer, stream, request) -> {
            // the whole answer, then "stop sending" (RFC 9113 §8.1) while the request body is still coming
            peer.headers(stream, ScriptedHttp2Backend.response("200").setInt("content-length", 4), false);
            peer.data(stream, "done", true);
            peer.reset(stream, 0);
        });
    }

    private static RawHttp.Response exchange(String request) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            return raw.send(request).readResponse();
        }
    }

    private static void assertNextRequestServed() throws IOException {
        RawHttp.Response response = exchange("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(200, response.status(), response.head());
        assertEquals("ok", response.bodyText());
    }

    @Test
    void refusedStreamIsSentAgainEvenOnAFreshConnection() throws Exception {
        RawHttp.Response response = exchange("GET /fresh/refused-first HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(200, response.status(), "one server, a new connection: no retry but this one; " + response.head());
        assertEquals("second try", response.bodyText());
        assertEquals(2, refusing.receivedFor("/fresh/refused-first").size());
    }

    @Test
    void refusedStreamIsSentAgainWhateverItsMethod() throws Exception {
        RawHttp.Response response = exchange("POST /refused-once HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assertEquals(200, response.status(), "the server did not process it: a POST may go again; " + response.head());
        assertEquals("second try", response.bodyText());
        assertEquals(2, backend.receivedFor("/refused-once").size());
    }

    @Test
    void streamsAGoawaySaysWereNotProcessedGoAgainOnANewConnection() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(3);
        try {
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(clients.submit(() -> exchange(
                        "POST /goaway-in-flight HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")));
            }
            List<String> bodies = new ArrayList<>();
            for (Future<RawHttp.Response> answer : answers) {
                RawHttp.Response response = answer.get(10, TimeUnit.SECONDS);
                assertEquals(200, response.status(), response.head());
                bodies.add(response.bodyText());
            }
            bodies.sort(null);
            assertEquals(List.of("processed", "retried", "retried"), bodies);
        } finally {
            clients.shutdownNow();
        }
        assertNextRequestServed();
    }

    @Test
    void pushPromiseToAProxyThatDisabledPushNeverReachesTheClient() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /push HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 502"), "PUSH_PROMISE after SETTINGS_ENABLE_PUSH = 0 is a connection"
                    + " error (RFC 9113 §8.4): " + all);
            assertFalse(all.contains("pushed"), all);
        }
        assertNextRequestServed();
    }

    @Test
    void headerBlockOverTheListLimitIs502() throws Exception {
        RawHttp.Response response = exchange("GET /huge-head HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(502, response.status(), response.head());
        assertNextRequestServed();
    }

    @Test
    void refusalAfterTheHeadIsNotARetryButATruncatedResponse() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /refused-after-head HTTP/1.1\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
            assertTrue(all.endsWith("hello"), "the client sees the cut, as with a reset mid-body: " + all);
        }
        assertEquals(1, backend.receivedFor("/refused-after-head").size(), "a request answered in part is not sent again");
        assertNextRequestServed();
    }

    @Test
    void uploadToAStreamWhoseWindowNeverOpensIs504AfterSendTimeout() throws Exception {
        byte[] body = new byte[1024 * 1024];
        long start = System.nanoTime();
        try (RawHttp raw = new RawHttp(sluice.port(), 10_000)) {
            raw.send("POST /starve HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            raw.sendInBackground(body);
            RawHttp.Response response = raw.readResponse();
            assertEquals(504, response.status(), response.head());
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 5000, "answered after " + millis + "ms");
        assertTrue(backend.starvedBytes.get() <= 65_535, "no byte beyond the stream's window: " + backend.starvedBytes);
        assertNextRequestServed();
    }

    @Test
    void connectionSpecificFieldsInAnHttp2ResponseAre502() throws Exception {
        RawHttp.Response response = exchange("GET /connection-specific HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(502, response.status(), "transfer-encoding in HTTP/2 is malformed (RFC 9113 §8.2.2): "
                + response.head());
        assertNextRequestServed();
    }

    /**
     * An invalid response is an answer, not a connection in doubt: the request is not sent again, even when
     * it is idempotent and went on a reused connection (nginx does not retry {@code invalid_header} either).
     */
    @ParameterizedTest
    @ValueSource(strings = {"/huge-head", "/connection-specific", "/uppercase-field", "/bad-status", "/status-101",
            "/status-99", "/push"})
    void invalidResponseOnAReusedConnectionIs502WithoutSendingTheRequestAgain(String path) throws Exception {
        // leaves an open connection that has served a stream: the next request goes on it
        assertNextRequestServed();
        int before = backend.receivedFor(path).size();
        RawHttp.Response response = exchange("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(502, response.status(), response.head());
        List<ScriptedHttp2Backend.Received> received = backend.receivedFor(path);
        assertEquals(before + 1, received.size(), "sent once: " + received);
        assertTrue(received.get(received.size() - 1).stream() > 1, "went on a reused connection: " + received);
        assertNextRequestServed();
    }

    @Test
    void wholeAnswerFollowedByAResetWithNoErrorReachesTheClientWhileItStillUploads() throws Exception {
        byte[] body = new byte[1024 * 1024];
        try (RawHttp raw = new RawHttp(sluice.port(), 10_000)) {
            raw.send("POST /answer-then-stop-upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            raw.sendInBackground(body);
            RawHttp.Response response = raw.readResponse();
            assertEquals(200, response.status(), response.head());
            assertEquals("done", response.bodyText());
        }
        assertNextRequestServed();
    }
}
