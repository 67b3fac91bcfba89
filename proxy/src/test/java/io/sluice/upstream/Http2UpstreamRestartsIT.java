package io.sluice.upstream;

import io.sluice.testing.Http2Backend;
import io.sluice.testing.Http2TestClient;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an HTTP/2 upstream does when its operator restarts it, frame by frame ({@link ScriptedHttp2Backend}):
 * a GOAWAY naming an earlier stream than those in flight, RST_STREAM REFUSED_STREAM, the graceful pair of
 * GOAWAYs servers send on shutdown, a close right after the GOAWAY, and a lower
 * SETTINGS_MAX_CONCURRENT_STREAMS. Requests the server did not process go again on a new connection, with
 * their bodies; requests it may have processed fail as on a closed HTTP/1.1 connection.
 */
class Http2UpstreamRestartsIT {
    private static final int REFUSED_STREAM = 0x7;
    private static final int LAST_POSSIBLE_STREAM = Integer.MAX_VALUE;
    private static final Map<String, String> GRPC = Map.of("content-type", "application/grpc", "te", "trailers");

    /** One backend per scenario, by the first segment of its paths: a scenario leaves its connections behind. */
    private static final Map<String, ScriptedHttp2Backend> BACKENDS = new LinkedHashMap<>();
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        StringBuilder upstreams = new StringBuilder();
        StringBuilder locations = new StringBuilder();
        for (String scenario : List.of("upload", "refused", "drain", "crash", "lowered")) {
            ScriptedHttp2Backend backend = new ScriptedHttp2Backend(100);
            BACKENDS.put(scenario, backend);
            upstreams.append(scenario).append(" { protocol = h2c, servers = [ { address = \"").append(backend.address())
                    .append("\" } ], read-timeout = 5s, connect-timeout = 500ms }\n");
            locations.append("{ match = \"/").append(scenario).append("/\", proxy { upstream = ").append(scenario)
                    .append(" } }\n");
        }
        script();
        // one loop: the requests of a test share one upstream connection while it takes streams
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  http2 { max-concurrent-streams = 64 }
                  upstreams { %s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [ %s ] } ]
                }""".formatted(upstreams, locations));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        for (ScriptedHttp2Backend backend : BACKENDS.values()) {
            backend.close();
        }
    }

    /** Streams held by one connection of the backend until a script lets them go. */
    private static final class Held {
        final ScriptedHttp2Backend.Peer peer;
        final List<Integer> streams = new ArrayList<>();

        Held(ScriptedHttp2Backend.Peer peer) {
            this.peer = peer;
        }

        /** Adds {@code stream}; true when it makes {@code count}. */
        synchronized boolean add(int stream, int count) {
            streams.add(stream);
            return streams.size() == count;
        }

        /** The {@code i}th lowest stream id: the order in which the proxy opened them. */
        synchronized int get(int i) {
            return streams.stream().sorted().toList().get(i);
        }
    }

    private static final Map<String, Map<Integer, Held>> HELD = new ConcurrentHashMap<>();
    /** The number of the connection that went away in each scenario, by path. */
    private static final Map<String, Integer> GONE = new ConcurrentHashMap<>();
    /** The paths whose first request was refused. */
    private static final Set<String> REFUSED_ONCE = ConcurrentHashMap.newKeySet();
    private static final long FIRST_GOAWAY_READ = 0x60a3a7L;
    private static final AtomicReference<Held> DRAINING = new AtomicReference<>();
    private static final CountDownLatch LIMIT_LOWERED = new CountDownLatch(1);
    private static final AtomicReference<Held> LOWERED = new AtomicReference<>();
    private static final AtomicInteger OVER_THE_LIMIT = new AtomicInteger();

    private static Held held(String path, ScriptedHttp2Backend.Peer peer) {
        return HELD.computeIfAbsent(path, key -> new ConcurrentHashMap<>()).computeIfAbsent(peer.number,
                key -> new Held(peer));
    }

    /** The digest and length of the body the backend received on {@code stream}, as {@code /unary} answers. */
    private static String digestOf(ScriptedHttp2Backend.Peer peer, int stream) {
        byte[] body = peer.body(stream);
        return Http2Backend.sha256(body) + " " + body.length;
    }

    private static ScriptedHttp2Backend backend(String scenario) {
        return BACKENDS.get(scenario);
    }

    private static void script() {
        // three uploads on one connection; the GOAWAY says only the first was processed
        backend("upload").onEnd("/upload/goaway", (peer, stream, request) -> {
            Integer gone = GONE.get("/upload/goaway");
            if (gone != null && gone != peer.number) {
                peer.answer(stream, "200", digestOf(peer, stream));
                return;
            }
            Held held = held("/upload/goaway", peer);
            if (held.add(stream, 3)) {
                GONE.put("/upload/goaway", peer.number);
                peer.goAway(held.get(0), 0);
                peer.answer(held.get(0), "200", digestOf(peer, held.get(0)));
            }
        });
        // refused once the whole body has arrived: the proxy had sent all of it when the refusal came
        backend("refused").onEnd("/refused/at-end", (peer, stream, request) -> {
            if (REFUSED_ONCE.add("/refused/at-end")) {
                peer.reset(stream, REFUSED_STREAM);
            } else {
                peer.answer(stream, "200", digestOf(peer, stream));
            }
        });
        // refused on its head, while the client is still sending the body
        backend("refused").on("/refused/at-head", (peer, stream, request) -> {
            if (REFUSED_ONCE.add("/refused/at-head")) {
                peer.reset(stream, REFUSED_STREAM);
            }
        }).onEnd("/refused/at-head", (peer, stream, request) -> peer.answer(stream, "200", digestOf(peer, stream)));
        // shutdown as Netty and Go servers do it: GOAWAY with the last possible stream, then the real one
        backend("drain").onEnd("/drain/held", (peer, stream, request) -> {
            Integer gone = GONE.get("/drain/held");
            if (gone != null && gone != peer.number) {
                peer.answer(stream, "200", "elsewhere " + digestOf(peer, stream));
                return;
            }
            Held held = held("/drain/held", peer);
            if (held.add(stream, 3)) {
                GONE.put("/drain/held", peer.number);
                DRAINING.set(held);
                peer.goAway(LAST_POSSIBLE_STREAM, 0);
                // its ACK tells the test that the proxy has read the GOAWAY
                peer.ping(FIRST_GOAWAY_READ);
            }
        });
        // a request that comes after the first GOAWAY finds another connection; then the second GOAWAY
        backend("drain").on("/drain/after-first-goaway", (peer, stream, request) -> {
            peer.answer(stream, "200", "connection " + peer.number);
            Held draining = DRAINING.get();
            if (draining != null && draining.peer != peer) {
                draining.peer.goAway(draining.get(1), 0);
                for (int i = 0; i < 2; i++) {
                    draining.peer.answer(draining.get(i), "200", "drained " + digestOf(draining.peer, draining.get(i)));
                }
            }
        });
        // the process exits right after its GOAWAY: one stream answered in part, one not at all, one unprocessed
        backend("crash").onEnd("/crash/held", (peer, stream, request) -> {
            Integer gone = GONE.get("/crash/held");
            if (gone != null && gone != peer.number) {
                peer.answer(stream, "200", "retried " + digestOf(peer, stream));
                return;
            }
            Held held = held("/crash/held", peer);
            if (held.add(stream, 3)) {
                GONE.put("/crash/held", peer.number);
                peer.headers(held.get(0), ScriptedHttp2Backend.response("200").add("content-length", "10"), false);
                peer.data(held.get(0), "hello", false);
                peer.goAway(held.get(1), 0);
                peer.closeConnection();
            }
        });
        backend("crash").on("/crash/ok", (peer, stream, request) -> peer.answer(stream, "200", "crash ok"));
        // three streams held, then the server allows one at a time on that connection
        backend("lowered").on("/lowered/held", (peer, stream, request) -> {
            Held held = held("/lowered/held", peer);
            if (held.add(stream, 3)) {
                peer.maxConcurrentStreams(1);
                LOWERED.set(held);
                LIMIT_LOWERED.countDown();
            }
        }).on("/lowered/after", (peer, stream, request) -> {
            Held lowered = LOWERED.get();
            if (lowered != null && lowered.peer == peer) {
                // a strict server refuses a stream over its limit
                OVER_THE_LIMIT.incrementAndGet();
                peer.reset(stream, REFUSED_STREAM);
                return;
            }
            peer.answer(stream, "200", "connection " + peer.number);
        });
    }

    private static byte[] body(int seed, int size) {
        byte[] body = new byte[size];
        new Random(seed).nextBytes(body);
        return body;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] whole = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, whole, first.length, second.length);
        return whole;
    }

    private static String expectedDigest(byte[] body) {
        return Http2Backend.sha256(body) + " " + body.length;
    }

    private static RawHttp.Response post(String path, byte[] body) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port(), 10_000)) {
            raw.send("POST " + path + " HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            raw.send(body);
            return raw.readResponse();
        }
    }

    private static String get(String path) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port(), 10_000)) {
            RawHttp.Response response = raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(200, response.status(), response.head());
            return response.bodyText();
        }
    }

    @Test
    void uploadsBeyondAGoawaysLastStreamGoAgainWithTheirWholeBodies() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(3);
        try {
            List<byte[]> bodies = new ArrayList<>();
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] body = body(i, 20_000 + i);
                bodies.add(body);
                answers.add(clients.submit(() -> post("/upload/goaway", body)));
            }
            for (int i = 0; i < 3; i++) {
                RawHttp.Response response = answers.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(200, response.status(), "a POST the server did not process goes again: " + response.head()
                        + backend("upload").receivedFor("/upload/goaway"));
                assertEquals(expectedDigest(bodies.get(i)), response.bodyText(), "the server got the whole body");
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(5, backend("upload").receivedFor("/upload/goaway").size(), "three sent, two of them again");
    }

    @Test
    void refusedGrpcCallGoesAgainWithItsWholeBody() throws Exception {
        byte[] first = body(10, 30_000);
        byte[] second = body(11, 12_345);
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/refused/at-end", GRPC, false);
            call.send(first, false);
            call.send(second, true);
            assertEquals("200", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            assertEquals(expectedDigest(concat(first, second)), new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        }
        assertEquals(2, backend("refused").receivedFor("/refused/at-end").size());
    }

    @Test
    void callRefusedWhileItsBodyStillStreamsGoesAgainWithWhatWasSentAndTheRest() throws Exception {
        byte[] first = body(20, 8_000);
        byte[] second = body(21, 9_000);
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/refused/at-head", GRPC, false);
            call.send(first, false);
            // the refusal arrives while the rest of the body is still with the client
            Thread.sleep(300);
            call.send(second, true);
            assertEquals("200", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            assertEquals(expectedDigest(concat(first, second)), new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        }
        assertEquals(2, backend("refused").receivedFor("/refused/at-head").size());
    }

    @Test
    void gracefulShutdownWithTwoGoawaysLosesNothing() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(3);
        try {
            List<byte[]> bodies = new ArrayList<>();
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] body = body(30 + i, 5_000);
                bodies.add(body);
                answers.add(clients.submit(() -> post("/drain/held", body)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!backend("drain").pingAcks.contains(FIRST_GOAWAY_READ) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(backend("drain").pingAcks.contains(FIRST_GOAWAY_READ), "the proxy read the first GOAWAY");
            String after = get("/drain/after-first-goaway");
            assertNotEquals("connection " + GONE.get("/drain/held"), after, "no new stream on a connection going away");
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RawHttp.Response response = answers.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(200, response.status(), response.head());
                String text = response.bodyText();
                assertTrue(text.endsWith(expectedDigest(bodies.get(i))), text);
                texts.add(text.substring(0, text.indexOf(' ')));
            }
            texts.sort(null);
            assertEquals(List.of("drained", "drained", "elsewhere"), texts,
                    "two streams finish on the draining connection, the third goes to a new one");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void closeRightAfterGoawayFailsWhatTheServerMayHaveProcessedAndRetriesTheRest() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(3);
        try {
            List<byte[]> bodies = new ArrayList<>();
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                byte[] body = body(40 + i, 3_000);
                bodies.add(body);
                answers.add(clients.submit(() -> post("/crash/held", body)));
            }
            List<String> outcomes = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                RawHttp.Response answer = answers.get(i).get(10, TimeUnit.SECONDS);
                String text = answer.bodyText();
                if (answer.status() == 502) {
                    outcomes.add("502");
                } else if (answer.status() == 200 && text.equals("retried " + expectedDigest(bodies.get(i)))) {
                    outcomes.add("retried");
                } else if (answer.status() == 200 && text.equals("hello")) {
                    // the head promised 10 bytes: the client sees the cut by the close
                    outcomes.add("cut");
                } else {
                    outcomes.add(answer.head() + text);
                }
            }
            outcomes.sort(null);
            assertEquals(List.of("502", "cut", "retried"), outcomes,
                    "a POST below the last stream id may have been processed: 502, or the cut response; the one"
                            + " above it goes again");
        } finally {
            clients.shutdownNow();
        }
        assertEquals("crash ok", get("/crash/ok"));
    }

    @Test
    void lowerStreamLimitMidConnectionIsHonouredWithoutRefusals() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> holding = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                holding.add(clients.submit(() -> get("/lowered/held")));
            }
            assertTrue(LIMIT_LOWERED.await(10, TimeUnit.SECONDS));
            // the proxy acknowledged the lower limit: it knows of it
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            Held lowered = LOWERED.get();
            while (backend("lowered").settingsAcks.get() < backend("lowered").connections() + 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            List<Future<String>> after = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                after.add(clients.submit(() -> get("/lowered/after")));
            }
            for (Future<String> answer : after) {
                assertNotEquals("connection " + lowered.peer.number, answer.get(10, TimeUnit.SECONDS));
            }
            for (int i = 0; i < 3; i++) {
                lowered.peer.answer(lowered.get(i), "200", "held");
            }
            for (Future<String> answer : holding) {
                assertEquals("held", answer.get(10, TimeUnit.SECONDS));
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(0, OVER_THE_LIMIT.get(), "no stream beyond the lowered limit");
        assertEquals(3, backend("lowered").receivedFor("/lowered/after").size(), "none refused and sent again");
    }
}
