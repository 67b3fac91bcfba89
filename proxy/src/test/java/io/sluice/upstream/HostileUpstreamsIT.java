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
        }).on("/early-answer", (request, socket, out) -> {
            // answers after the head and reads none of the body, keeping the connection open
            respond(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo much");
            Thread.sleep(3000);
            return false;
        }).on("/unasked-upgrade", (request, socket, out) -> {
            respond(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled");
            return true;
        }).on("/early-hints", (request, socket, out) -> {
            respond(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 103 Early Hints\r\nLink: </b.js>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            return true;
        }).on("/http10-until-close", (request, socket, out) -> {
            respond(out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + "z".repeat(100_000));
            return false;
        }).on("/two-lengths", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok");
            return true;
        }).on("/says-close", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbye.");
            // a server that says close but leaves the connection open: it must not be reused anyway
            return true;
        }).on("/gzip-transfer-coding", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
            return true;
        });
    }

    private static List<ScriptedBackend.Received> receivedFor(String path) {
        return backend.receivedFor(path);
    }

    /** The next request is served, and not on a connection the misbehaving exchange used. */
    private static void assertNextRequestServedFresh(String brokenPath) throws IOException {
        backend.assertNextRequestServedFresh(sluice.port(), backend.receivedFor(brokenPath));
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
    void aPipelinedRequestIsNotSentOnAConnectionHoldingBytesBehindTheResponse() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            // the second request is read as soon as the first response has left, within the same upstream read
            raw.send("GET /tail-at-once HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("hello", raw.readResponse().bodyText());
            RawHttp.Response next = raw.readResponse();
            assertEquals(200, next.status(), next.head());
            assertEquals("ok", next.bodyText());
        }
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

    @Test
    void earlyAnswerWhileTheBodyIsStillComingReachesTheClientAndItsConnectionIsNotReused() throws Exception {
        byte[] body = new byte[4 * 1024 * 1024];
        try (RawHttp raw = new RawHttp(sluice.port(), 5000)) {
            raw.send("POST /early-answer HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length + "\r\n\r\n");
            // the body goes on in the background: the answer must arrive whether or not it is all sent
            raw.sendInBackground(body);
            RawHttp.Response response = raw.readResponse();
            assertEquals(413, response.status(), response.head());
            assertEquals("too much", response.bodyText());
        }
        assertNextRequestServedFresh("/early-answer");
    }

    @Test
    void switchingProtocolsToARequestThatAskedForNoUpgradeIs502() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /unasked-upgrade HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response response = raw.readResponse();
            assertEquals(502, response.status(), response.head());
            raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", raw.readResponse().bodyText(), "the bytes behind the 101 never reach the client");
        }
        assertNextRequestServedFresh("/unasked-upgrade");
    }

    @Test
    void earlyHintsAreDroppedAndTheFinalResponseGoesOn() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /early-hints HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response response = raw.readResponse();
            assertEquals(200, response.status(), "1xx responses are not passed on (docs/configuration.md)");
            assertEquals("final", response.bodyText());
            raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", raw.readResponse().bodyText());
        }
    }

    @Test
    void http10BodyUntilCloseReachesAnHttp11ClientWholeAndFramed() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            RawHttp.Response response = raw.send("GET /http10-until-close HTTP/1.1\r\nHost: a\r\n\r\n")
                    .readChunkedResponse();
            assertEquals(200, response.status(), response.head());
            assertEquals("chunked", response.header("transfer-encoding"), "a body without length goes chunked: "
                    + response.head());
            assertEquals("z".repeat(100_000), response.bodyText());
            raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", raw.readResponse().bodyText(), "the client connection carries on");
        }
        assertNextRequestServedFresh("/http10-until-close");
    }

    /** An invalid response is an answer, not a connection in doubt: it is not asked again on another connection. */
    @Test
    void invalidResponseOnAReusedConnectionIs502WithoutSendingTheRequestAgain() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            // the first request leaves an idle connection in the pool: the second one goes on it
            assertEquals("ok", raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText());
            RawHttp.Response response = raw.send("GET /two-lengths HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(502, response.status(), response.head());
        }
        List<ScriptedBackend.Received> received = receivedFor("/two-lengths");
        assertEquals(1, received.size(), "sent once: " + received);
        assertTrue(received.get(0).onConnection() > 1, "went on a reused connection: " + received);
        assertNextRequestServedFresh("/two-lengths");
    }

    @Test
    void connectionCloseInTheResponseKeepsItsConnectionOutOfThePool() throws Exception {
        RawHttp.Response response = exchange("GET", "/says-close");
        assertEquals("bye.", response.bodyText());
        assertNextRequestServedFresh("/says-close");
    }

    @Test
    void aTransferCodingOtherThanChunkedIsA502NotBytesTheClientCannotDecode() throws Exception {
        // Transfer-Encoding is hop-by-hop: passed on without it, a gzip coding would arrive as plain content
        RawHttp.Response response = exchange("GET", "/gzip-transfer-coding");
        assertEquals(502, response.status(), response.head());
        assertNextRequestServedFresh("/gzip-transfer-coding");
    }
}
