package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 upstreams that send more than they should: bytes behind a complete response (in the same read
 * or while the connection idles), a body on a response that has none. Such a connection is in doubt and
 * must not carry the next request: bytes left over would be read as the start of the next response.
 */
class HostileUpstreamsIT {
    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        script();
        // one loop: every client connection shares one pool, so reuse is deterministic
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", read-timeout = 1s, send-timeout = 1s", "").replace("workers = 2", "workers = 1"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    private static void script() {
        backend.on("/tail-at-once", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloXY");
            return true;
        }).on("/tail-later", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            Thread.sleep(200);
            respond(out, "XY");
            return true;
        }).on("/no-content-with-body", (request, socket, out) -> {
            respond(out, "HTTP/1.1 204 No Content\r\n\r\nhello");
            return true;
        }).on("/not-modified-with-body", (request, socket, out) -> {
            respond(out, "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello");
            return true;
        }).on("/head-with-body", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            return true;
        });
    }

    private static List<ScriptedBackend.Received> receivedFor(String path) {
        return backend.received.stream().filter(request -> request.path().equals(path)).toList();
    }

    /** The next request is served, and not on a connection the misbehaving exchange used. */
    private static void assertNextRequestServedFresh(String brokenPath) throws IOException {
        int before = backend.received.size();
        try (RawHttp raw = new RawHttp(sluice.port())) {
            RawHttp.Response response = raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(200, response.status(), response.head());
            assertEquals("ok", response.bodyText());
        }
        ScriptedBackend.Received ok = backend.received.subList(before, backend.received.size()).stream()
                .filter(request -> request.path().equals("/ok")).findFirst().orElseThrow();
        for (ScriptedBackend.Received broken : receivedFor(brokenPath)) {
            assertNotEquals(broken.connection(), ok.connection(), "a connection in doubt was reused after " + broken);
        }
    }

    private static RawHttp.Response exchange(String method, String path) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            return raw.send(method + " " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
        }
    }

    @Test
    void bytesBehindTheResponseInTheSameReadMakeTheConnectionUnfitForReuse() throws Exception {
        RawHttp.Response response = exchange("GET", "/tail-at-once");
        assertEquals(200, response.status());
        assertEquals("hello", response.bodyText());
        assertNextRequestServedFresh("/tail-at-once");
    }

    @Test
    void bytesArrivingOnAnIdleConnectionMakeItUnfitForReuse() throws Exception {
        RawHttp.Response response = exchange("GET", "/tail-later");
        assertEquals("hello", response.bodyText());
        Thread.sleep(600);
        assertNextRequestServedFresh("/tail-later");
    }

    @Test
    void noContentWithABodyIsPassedOnWithoutItAndItsConnectionIsNotReused() throws Exception {
        RawHttp.Response response = exchange("GET", "/no-content-with-body");
        assertEquals(204, response.status());
        assertEquals(0, response.body().length);
        assertNextRequestServedFresh("/no-content-with-body");
    }

    @Test
    void notModifiedWithABodyIsPassedOnWithoutItAndItsConnectionIsNotReused() throws Exception {
        assertHeadAlone("GET", "/not-modified-with-body", 304);
        assertNextRequestServedFresh("/not-modified-with-body");
    }

    @Test
    void answerToHeadWithABodyIsPassedOnWithoutItAndItsConnectionIsNotReused() throws Exception {
        assertHeadAlone("HEAD", "/head-with-body", 200);
        assertNextRequestServedFresh("/head-with-body");
    }

    /** The client gets the head and nothing after it, whatever length the head names. */
    private static void assertHeadAlone(String method, String path, int status) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send(method + " " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 " + status), all);
            assertTrue(all.endsWith("\r\n\r\n"), "no body follows the head: " + all);
        }
    }
}
