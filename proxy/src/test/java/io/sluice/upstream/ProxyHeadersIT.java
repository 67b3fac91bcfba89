package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyHeadersIT {
    private static TestBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend();
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), """
                trusted-proxies = [ "10.0.0.0/8" ]
                request-headers { set { x-added = "1" }, remove = [ "x-drop" ] }
                response-headers { set { x-frontend = "sluice" }, remove = [ "x-backend" ] }
                forwarded = true
                via = true"""));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
    }

    private HttpRequest received() throws InterruptedException {
        HttpRequest request = backend.requests.poll(5, TimeUnit.SECONDS);
        assertNotNull(request, "backend got no request");
        return request;
    }

    @Test
    void hopByHopHeadersAreDroppedBothWaysAndForwardingHeadersAdded() throws Exception {
        backend.requests.clear();
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /hello?x=1 HTTP/1.1\r\nHost: shop.example:8080\r\n"
                    + "Connection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=9\r\n"
                    + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n"
                    + "X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nX-Drop: 1\r\nX-Kept: yes\r\n\r\n");
            RawHttp.Response response = raw.readResponse();
            assertEquals(200, response.status());
            assertEquals("hello", new String(response.body()));
            assertNull(response.header("x-hop-secret"), "header named in the backend's Connection");
            assertNull(response.header("keep-alive"));
            assertNull(response.header("proxy-connection"));
            assertNull(response.header("x-backend"), "response-headers.remove");
            assertEquals("sluice", response.header("x-frontend"));
            assertEquals("sluice", response.header("server"));
            assertEquals("1.1 sluice", response.header("via"));
        }
        HttpRequest request = received();
        HttpHeaders headers = request.headers();
        assertEquals("/hello?x=1", request.uri());
        assertEquals("shop.example:8080", headers.get("host"));
        for (String hop : new String[] {"x-private", "keep-alive", "proxy-connection", "te", "upgrade", "x-drop"}) {
            assertFalse(headers.contains(hop), hop + " must not be forwarded");
        }
        assertFalse(headers.contains("connection"));
        assertEquals("yes", headers.get("x-kept"));
        assertEquals("1", headers.get("x-added"));
        assertEquals("127.0.0.1", headers.get("x-forwarded-for"), "untrusted peer: client's X-Forwarded-For replaced");
        assertEquals("127.0.0.1", headers.get("x-real-ip"));
        assertEquals("http", headers.get("x-forwarded-proto"));
        assertEquals("shop.example:8080", headers.get("x-forwarded-host"));
        assertEquals("for=127.0.0.1;host=\"shop.example:8080\";proto=http", headers.get("forwarded"));
        assertEquals("1.1 sluice", headers.get("via"));
    }

    @Test
    void headResponseEndsAtItsHeadAndLeavesTheUpstreamConnectionReadyForTheNextRequest() throws Exception {
        // the two requests run one after the other on one client connection, so the GET takes the upstream
        // connection the HEAD left in its loop's pool
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("HEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String all = raw.readUntilClosed();
            int second = all.indexOf("HTTP/1.1 200", 1);
            assertTrue(all.startsWith("HTTP/1.1 200") && second > 0, all);
            String head = all.substring(0, second);
            assertTrue(head.contains("content-length: 5\r\n") && head.endsWith("\r\n\r\n"), head);
            assertTrue(all.endsWith("\r\n\r\nhello"), all);
        }
    }

    @Test
    void bodylessResponsesAndTrailersForClientsThatTakeThem() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /status/204 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(204, raw.readResponse().status());
            raw.send("GET /status/304 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(304, raw.readResponse().status());
        }
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("HEAD /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String head = raw.readUntilClosed();
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.contains("content-length: 5\r\n"), head);
            assertTrue(head.endsWith("\r\n\r\n"), "no body after a HEAD response: " + head);
        }
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /trailers HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.contains("transfer-encoding: chunked"), all);
            assertTrue(all.contains("body"), all);
            assertTrue(all.toLowerCase().contains("x-checksum: abc123"), "trailer passed through: " + all);
        }
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /trailers HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.contains("body"), all);
            assertFalse(all.toLowerCase().contains("x-checksum"), "no trailer for a client without TE: trailers: " + all);
        }
    }

    @Test
    void expectContinueIsAnsweredAndBodyForwarded() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response interim = raw.readResponse();
            assertEquals(100, interim.status());
            raw.send("hello");
            RawHttp.Response response = raw.readResponse();
            assertEquals(200, response.status());
            assertEquals(TestBytes.sha256Of("hello") + " 5", new String(response.body()));
        }
    }

    @Test
    void expectWithoutABodyKeepsTheConnection() throws Exception {
        // a request that declares no body leaves nothing unread behind its response, Expect or not
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /download-cl/10 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
            RawHttp.Response first = raw.readResponse();
            assertEquals(200, first.status());
            assertNull(first.header("connection"), first.head());
            raw.send("GET /download-cl/20 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawHttp.Response second = raw.readResponse();
            assertEquals(200, second.status());
            assertEquals(20, second.body().length);
        }
    }

    @Test
    void http10ClientGetsAChunkedUpstreamBodyDelimitedByClose() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /download/1000 HTTP/1.0\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            String head = all.substring(0, all.indexOf("\r\n\r\n") + 4);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertFalse(head.contains("transfer-encoding"), head);
            assertEquals(1000, all.length() - head.length(), "the raw body, not chunk framing");
        }
    }
}
