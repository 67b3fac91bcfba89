package io.sluice.upstream;

import io.sluice.testing.Http2TestClient;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.sluice.upstream.ScriptedBackend.reset;
import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Response bodies without a declared length: an HTTP/1.0-style body that ends when the upstream closes its
 * connection (RFC 9112 §6.3), and an HTTP/2 response without {@code content-length} that ends with the
 * stream. An HTTP/1.1 client gets them chunked, as nginx sends them: it can tell a whole body (last chunk)
 * from a cut one (no last chunk, the connection closes), and its connection carries on after a whole one.
 * An HTTP/1.0 client, which has no chunked coding, gets them delimited by the close.
 *
 * <p>An orderly close (FIN) ends a close-delimited body, a reset does not: a reset in the middle is a
 * failure, as with any other framing. A close-delimited body is still never cached, since a FIN from a
 * server that died mid-body looks like a whole one; a body whose end the upstream marked (chunked, an
 * HTTP/2 stream's end) is cached, and a cut one never is.
 */
class CloseDelimitedBodiesIT {
    private static final int LARGE = 3 * 1024 * 1024;
    /** Below the proxy's HTTP/2 stream window: the scripted backend does not wait for window updates. */
    private static final int LARGE_H2 = 200 * 1024;
    private static final int INTERNAL_ERROR = 0x2;
    private static ScriptedBackend backend;
    private static ScriptedHttp2Backend h2Backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        h2Backend = new ScriptedHttp2Backend(100);
        script();
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  cache { max-size = 256k, max-object-size = 16k }
                  upstreams {
                    app { servers = [ { address = "%s" } ], read-timeout = 2s }
                    h2app { protocol = h2c, servers = [ { address = "%s" } ], read-timeout = 2s }
                  }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/h2/cached/", proxy { upstream = h2app, cache = true } }
                    { match = "/h2/", proxy { upstream = h2app } }
                    { match = "/cached/", proxy { upstream = app, cache = true } }
                    { match = "/", proxy { upstream = app } }
                  ] } ]
                }""".formatted(backend.address(), h2Backend.address()));
    }

    private static void script() {
        ScriptedBackend.Script cutByReset = (request, socket, out) -> {
            respond(out, "HTTP/1.0 200 OK\r\nCache-Control: max-age=60\r\n\r\n" + "a".repeat(1000));
            Thread.sleep(200);
            reset(socket);
            return false;
        };
        ScriptedBackend.Script endedByClose = (request, socket, out) -> {
            respond(out, "HTTP/1.0 200 OK\r\nCache-Control: max-age=60\r\n\r\n" + "b".repeat(1000));
            return false;
        };
        backend.on("/cut-by-reset", cutByReset).on("/cut-by-reset-h2", cutByReset).on("/cached/cut-by-reset", cutByReset)
                .on("/ended-by-close", endedByClose).on("/ended-by-close-h2", endedByClose)
                .on("/cached/ended-by-close", endedByClose)
                .on("/large-until-close", (request, socket, out) -> {
                    respond(out, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
                    writeTestBytes(out, LARGE);
                    return false;
                }).on("/cached/chunked", (request, socket, out) -> {
                    respond(out, "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "1f4\r\n" + "c".repeat(500) + "\r\n1f4\r\n" + "c".repeat(500) + "\r\n0\r\n\r\n");
                    return true;
                }).on("/no-content", (request, socket, out) -> {
                    respond(out, "HTTP/1.0 204 No Content\r\n\r\n");
                    return false;
                }).on("/not-modified", (request, socket, out) -> {
                    respond(out, "HTTP/1.0 304 Not Modified\r\n\r\n");
                    return false;
                });
        ScriptedHttp2Backend.Script cutStream = (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200").add("cache-control", "max-age=60"), false);
            peer.data(stream, "a".repeat(1000), false);
            Thread.sleep(200);
            peer.reset(stream, INTERNAL_ERROR);
        };
        h2Backend.on("/h2/no-length", (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200"), false);
            peer.data(stream, TestBytes.slice(0, LARGE_H2), true);
        }).on("/h2/cached/no-length", (peer, stream, request) -> {
            peer.headers(stream, ScriptedHttp2Backend.response("200").add("cache-control", "max-age=60"), false);
            peer.data(stream, "d".repeat(1000), true);
        }).on("/h2/cut", cutStream).on("/h2/cached/cut", cutStream);
    }

    private static void writeTestBytes(OutputStream out, int length) throws IOException {
        for (int offset = 0; offset < length; offset += 64 * 1024) {
            out.write(TestBytes.slice(offset, Math.min(64 * 1024, length - offset)));
        }
        out.flush();
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
        h2Backend.close();
    }

    private static long asked(String path) {
        return backend.receivedFor(path).size() + h2Backend.receivedFor(path).size();
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(TestBackend.sha256().digest(bytes));
    }

    /** The next request on the same client connection is answered: the connection was kept. */
    private static void assertConnectionCarriesOn(RawHttp raw) throws IOException {
        RawHttp.Response next = raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
        assertEquals(200, next.status(), next.head());
        assertEquals("ok", next.bodyText());
    }

    @ParameterizedTest
    @CsvSource({"/large-until-close, 3145728", "/h2/no-length, 204800"})
    void bodyWithoutLengthGoesChunkedToAnHttp11ClientWhoseConnectionCarriesOn(String path, int length) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            RawHttp.Response response = raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readChunkedResponse();
            assertEquals(200, response.status(), response.head());
            assertEquals("chunked", response.header("transfer-encoding"), response.head());
            assertNull(response.header("content-length"), response.head());
            assertNull(response.header("connection"), response.head());
            assertEquals(length, response.body().length);
            assertEquals(TestBytes.sha256(length), sha256(response.body()));
            assertConnectionCarriesOn(raw);
        }
    }

    @ParameterizedTest
    @CsvSource({"/large-until-close, 3145728", "/h2/no-length, 204800"})
    void bodyWithoutLengthIsDelimitedByTheCloseForAnHttp10Client(String path, int length) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.0\r\nHost: a\r\n\r\n");
            byte[] all = raw.readUntilClosed().getBytes(StandardCharsets.ISO_8859_1);
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            String head = text.substring(0, bodyStart).toLowerCase(Locale.ROOT);
            assertTrue(head.startsWith("http/1.1 200"), head);
            assertFalse(head.contains("transfer-encoding"), "HTTP/1.0 has no chunked coding: " + head);
            assertFalse(head.contains("content-length"), head);
            assertTrue(head.contains("connection: close"), head);
            byte[] body = Arrays.copyOfRange(all, bodyStart, all.length);
            assertEquals(length, body.length);
            assertEquals(TestBytes.sha256(length), sha256(body));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/cut-by-reset", "/h2/cut"})
    void bodyCutByTheUpstreamEndsWithoutTheLastChunkAndClosesTheConnection(String path) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            int bodyStart = all.indexOf("\r\n\r\n") + 4;
            String head = all.substring(0, bodyStart).toLowerCase(Locale.ROOT);
            assertTrue(head.startsWith("http/1.1 200"), head);
            assertTrue(head.contains("transfer-encoding: chunked"), head);
            String body = all.substring(bodyStart);
            assertEquals("a".repeat(1000), dechunkWithoutEnd(body), "the bytes that came, and no last chunk: " + body);
        }
    }

    /** The data of a chunked body that must not have its last chunk: fails if it has one. */
    private static String dechunkWithoutEnd(String body) {
        StringBuilder data = new StringBuilder();
        int at = 0;
        while (at < body.length()) {
            int lineEnd = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, lineEnd), 16);
            assertTrue(size > 0, "a cut body must not end with the last chunk: " + body);
            data.append(body, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
        return data.toString();
    }

    @ParameterizedTest
    @CsvSource({"HEAD, /ended-by-close, 200", "GET, /no-content, 204", "GET, /not-modified, 304"})
    void responseWithoutABodyGetsNoFramingAndTheConnectionCarriesOn(String method, String path, int status)
            throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            RawHttp.Response response = raw.send(method + " " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(status, response.status(), response.head());
            assertNull(response.header("transfer-encoding"), response.head());
            assertNull(response.header("connection"), response.head());
            assertConnectionCarriesOn(raw);
        }
    }

    @Test
    void bodyEndedByAnOrderlyCloseIsWholeButNeverCached() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response response = raw.send("GET /cached/ended-by-close HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readFramedResponse();
                assertEquals("b".repeat(1000), response.bodyText());
            }
        }
        assertEquals(2, asked("/cached/ended-by-close"), "a body with no definite end may be cut short: it is not stored");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/cached/chunked", "/h2/cached/no-length"})
    void bodyWhoseEndTheUpstreamMarkedIsCached(String path) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < 2; i++) {
                RawHttp.Response response = raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n")
                        .readFramedResponse();
                assertEquals(200, response.status(), response.head());
                assertEquals(1000, response.body().length, response.head());
            }
        }
        assertEquals(1, asked(path), "the second request is a cache hit");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/cached/cut-by-reset", "/h2/cached/cut"})
    void bodyCutByTheUpstreamIsNotCached(String path) throws Exception {
        for (int i = 0; i < 2; i++) {
            try (RawHttp raw = new RawHttp(sluice.port())) {
                raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertTrue(raw.readUntilClosed().startsWith("HTTP/1.1 200"));
            }
        }
        assertEquals(2, asked(path), "a cut body is not stored");
    }

    @Test
    void bodyEndedByAnOrderlyCloseEndsTheHttp2StreamWhole() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("GET", "/ended-by-close-h2", Map.of(), true);
            assertEquals("b".repeat(1000), new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void bodyCutByAResetResetsTheHttp2Stream() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("GET", "/cut-by-reset-h2", Map.of(), true);
            assertEquals("200", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            assertThrows(ExecutionException.class, () -> call.body.get(10, TimeUnit.SECONDS),
                    "the stream must not end as if the body were whole");
        }
    }
}
