package io.sluice.upstream;

import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.testing.Http2Backend;
import io.sluice.testing.Http2TestClient;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code protocol = h2c} upstreams: gRPC-style exchanges (DATA then trailers with {@code grpc-status})
 * through Sluice to HTTP/2 and HTTP/1.1 clients, streaming both ways, many streams on one upstream
 * connection, the server's stream limit, GOAWAY and a dying connection.
 */
class Http2UpstreamIT {
    private static final Map<String, String> GRPC = Map.of("content-type", "application/grpc", "te", "trailers");

    static Http2Backend backend;
    static Http2Backend limited;
    static ServerSocket silent;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = Http2Backend.cleartext(1000);
        limited = Http2Backend.cleartext(10);
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  http2 { max-concurrent-streams = 256 }
                  upstreams {
                    grpc { protocol = h2c, servers = [ { address = "%s" } ] }
                    limited { protocol = h2c, servers = [ { address = "%s" } ] }
                    silent { protocol = h2c, connect-timeout = 500ms, servers = [ { address = "127.0.0.1:%d" } ] }
                  }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "= /limited/held", proxy { upstream = limited } }
                    { match = "/silent/", proxy { upstream = silent } }
                    { match = "/", proxy { upstream = grpc } }
                  ] } ]
                }""".formatted(backend.address(), limited.address(), silent.getLocalPort()));
    }

    @AfterAll
    static void stop() throws java.io.IOException {
        sluice.close();
        backend.close();
        limited.close();
        silent.close();
    }

    @Test
    void unaryCallKeepsItsTrailersAndItsBodyByteExact() throws Exception {
        byte[] upload = new byte[100_000];
        new Random(6).nextBytes(upload);
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/unary", GRPC, false);
            call.send(java.util.Arrays.copyOfRange(upload, 0, 40_000), false);
            call.send(java.util.Arrays.copyOfRange(upload, 40_000, upload.length), true);
            Http2Headers headers = call.headers.get(10, TimeUnit.SECONDS);
            assertEquals("200", headers.status().toString());
            assertEquals("application/grpc", headers.get("content-type").toString());
            assertNull(headers.get("content-length"), "no length invented for a streamed response");
            assertNull(headers.get("x-http2-stream-id"));
            assertEquals(Http2Backend.sha256(upload) + " " + upload.length,
                    new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
            Http2Headers trailers = call.trailers.get(10, TimeUnit.SECONDS);
            assertEquals("0", trailers.get("grpc-status").toString());
            assertEquals("OK", trailers.get("grpc-message").toString());
        }
        Http2Headers received = lastRequest(backend, "/unary");
        assertEquals("trailers", received.get("te").toString(), "te: trailers forwarded");
        assertEquals("application/grpc", received.get("content-type").toString());
        assertEquals("http", received.scheme().toString());
        assertTrue(received.authority().length() > 0);
    }

    @Test
    void serverStreamingResponseIsByteExact() throws Exception {
        int size = 3_000_000;
        byte[] expected = new byte[size];
        for (int i = 0; i < size; i++) {
            expected[i] = Http2Backend.bytes(i);
        }
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/stream/" + size, GRPC, true);
            byte[] body = call.body.get(30, TimeUnit.SECONDS);
            assertEquals(size, body.length);
            assertArrayEquals(expected, body);
            Http2Headers trailers = call.trailers.get(10, TimeUnit.SECONDS);
            assertEquals("0", trailers.get("grpc-status").toString());
            assertEquals(Http2Backend.sha256(expected), trailers.get("x-body-sha256").toString());
        }
    }

    @Test
    void bidirectionalStreamAnswersEachMessageBeforeTheRequestEnds() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/echo", GRPC, false);
            assertEquals("200", call.headers.get(10, TimeUnit.SECONDS).status().toString(),
                    "the response head arrives while the request is still open");
            for (int i = 0; i < 20; i++) {
                byte[] message = ("message " + i).getBytes(StandardCharsets.US_ASCII);
                call.send(message, false);
                assertArrayEquals(message, call.nextPiece(), "echo of message " + i);
            }
            call.send(new byte[0], true);
            assertEquals("0", call.trailers.get(10, TimeUnit.SECONDS).get("grpc-status").toString());
        }
    }

    @Test
    void trailersOnlyResponseStaysOneHeadersFrame() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("POST", "/trailers-only", GRPC, true);
            Http2Headers headers = call.headers.get(10, TimeUnit.SECONDS);
            assertEquals("200", headers.status().toString());
            assertEquals("5", headers.get("grpc-status").toString());
            assertEquals("no such thing", headers.get("grpc-message").toString());
            assertEquals(0, call.body.get(10, TimeUnit.SECONDS).length);
            assertTrue(call.trailers.get(10, TimeUnit.SECONDS).isEmpty());
        }
    }

    @Test
    void hundredConcurrentStreamsShareOneUpstreamConnection() throws Exception {
        int before = backend.connections.get();
        backend.holdUntil(100);
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            List<Http2TestClient.Call> calls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                calls.add(client.call("POST", "/held", GRPC, true));
            }
            Set<String> bodies = new HashSet<>();
            for (Http2TestClient.Call call : calls) {
                assertEquals("200", call.headers.get(20, TimeUnit.SECONDS).status().toString());
                bodies.add(new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
                assertEquals("0", call.trailers.get(10, TimeUnit.SECONDS).get("grpc-status").toString());
            }
            assertEquals(100, bodies.size(), "each stream got its own answer");
        } finally {
            backend.holdUntil(Integer.MAX_VALUE);
        }
        assertTrue(backend.connections.get() - before <= 1, "one upstream connection carried all 100 streams");
        assertTrue(backend.maxOpenStreams.get() >= 100, "100 streams were open upstream at once");
    }

    @Test
    void serversMaxConcurrentStreamsIsRespected() throws Exception {
        limited.holdUntil(25);
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            List<Http2TestClient.Call> calls = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                calls.add(client.call("POST", "/limited/held", GRPC, true));
            }
            for (Http2TestClient.Call call : calls) {
                assertEquals("200", call.headers.get(20, TimeUnit.SECONDS).status().toString());
                assertEquals("0", call.trailers.get(10, TimeUnit.SECONDS).get("grpc-status").toString());
            }
        }
        assertEquals(3, limited.connections.get(), "25 streams at once over connections of 10 streams each");
    }

    @Test
    void goawayMovesNewStreamsToANewConnection() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call bye = client.call("GET", "/goaway", Map.of(), true);
            assertEquals("bye", new String(bye.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
            int before = backend.connections.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Http2TestClient.Call next;
            do {
                next = client.call("GET", "/hello", Map.of(), true);
                assertEquals("200", next.headers.get(10, TimeUnit.SECONDS).status().toString());
                assertEquals("hello", new String(next.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
            } while (backend.connections.get() == before && System.nanoTime() < deadline);
            assertEquals(before + 1, backend.connections.get(), "a new connection after GOAWAY");
        }
    }

    @Test
    void aDyingConnectionFailsItsStreamsWith502() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            int seen = backend.requests.size();
            List<Http2TestClient.Call> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(client.call("POST", "/held", GRPC, true));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (backend.requests.size() < seen + 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Http2TestClient.Call die = client.call("POST", "/die", GRPC, true);
            assertEquals("502", die.headers.get(10, TimeUnit.SECONDS).status().toString());
            for (Http2TestClient.Call call : held) {
                assertEquals("502", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            }
            Http2TestClient.Call after = client.call("GET", "/hello", Map.of(), true);
            assertEquals("hello", new String(after.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII),
                    "the next request gets a new connection");
        }
    }

    @Test
    void http11ClientGetsTrailersOnlyWhenItSaysTeTrailers() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /unary HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTE: trailers\r\nConnection: close\r\n\r\nhello");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
            assertTrue(all.contains("transfer-encoding: chunked"), all);
            assertTrue(all.contains(Http2Backend.sha256("hello".getBytes(StandardCharsets.US_ASCII)) + " 5"), all);
            assertTrue(all.endsWith("0\r\ngrpc-status: 0\r\ngrpc-message: OK\r\n\r\n"), all);
        }
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /unary HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
            assertTrue(all.endsWith("\r\n0\r\n\r\n"), "chunked body ends without trailer fields: " + all);
            assertFalse(all.contains("grpc-status"), all);
        }
        Http2Headers received = lastRequest(backend, "/unary");
        assertNull(received.get("te"), "no te upstream when the client did not send it");
    }

    @Test
    void http11ClientGetsALengthForAResponseThatEndedWithItsHeaders() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /trailers-only HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
            RawHttp.Response response = raw.readResponse();
            assertEquals(200, response.status());
            assertEquals("0", response.header("content-length"));
            assertEquals("5", response.header("grpc-status"));
            raw.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response next = raw.readResponse();
            assertEquals(200, next.status(), "the connection stayed open");
        }
    }

    @Test
    void anUpstreamThatNeverSendsSettingsIs502() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            long start = System.nanoTime();
            Http2TestClient.Call call = client.call("GET", "/silent/x", Map.of(), true);
            assertEquals("502", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8), "failed by connect-timeout");
        }
    }

    @Test
    void aStalledStreamHoldsBackOnlyItselfNotItsConnection() throws Exception {
        try (Http2Backend own = Http2Backend.cleartext(1000);
             RunningSluice oneLoop = RunningSluice.start("""
                     sluice {
                       workers = 1
                       upstreams { grpc { protocol = h2c, servers = [ { address = "%s" } ] } }
                       servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                         { match = "/", proxy { upstream = grpc } } ] } ]
                     }""".formatted(own.address()));
             RawHttp stalled = new RawHttp(oneLoop.port())) {
            stalled.send("GET /stream/500000000 HTTP/1.1\r\nHost: a\r\n\r\n");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long last = 0;
            while ((last == 0 || own.streamedBytes.get() != last) && System.nanoTime() < deadline) {
                last = own.streamedBytes.get();
                Thread.sleep(1000);
            }
            long heldBack = own.streamedBytes.get();
            assertTrue(heldBack > 0, "the stalled stream started");
            assertTrue(heldBack < 20_000_000, "the backend is held back by a client that does not read: " + heldBack);
            try (Http2TestClient client = Http2TestClient.cleartext(oneLoop.port())) {
                Http2TestClient.Call call = client.call("GET", "/stream/2000000", Map.of(), true);
                assertEquals(2_000_000, call.body.get(20, TimeUnit.SECONDS).length,
                        "another stream on the same upstream connection still flows");
                assertEquals("0", call.trailers.get(10, TimeUnit.SECONDS).get("grpc-status").toString());
            }
            assertEquals(1, own.connections.get(), "both streams shared one upstream connection");
        }
    }

    private static Http2Headers lastRequest(Http2Backend from, String path) {
        Http2Headers last = null;
        for (Http2Headers headers : from.requests) {
            if (path.contentEquals(headers.path())) {
                last = headers;
            }
        }
        assertTrue(last != null, "the backend saw " + path);
        return last;
    }
}
