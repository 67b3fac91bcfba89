package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each limit of the front door with a raw socket: the right status, closed where it must be, and still serving. */
class FrontDoorLimitsIT {
    private static RunningSluice sluice;

    @BeforeAll
    static void start() {
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  limits { max-initial-line = 1k, max-header-size = 2k, max-body-size = 100,
                           header-timeout = 1s, body-timeout = 1s, keepalive-timeout = 1500ms, max-connections = 50 }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/big-upload/", limits { max-body-size = 1k }, return { status = 200, body = "big ok" } }
                    { match = "/", return { status = 200, body = "ok" } }
                  ] } ]
                }""");
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static void assertStillServing() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(200, response.status());
            assertEquals("ok", response.bodyText());
        }
    }

    private static void assertRejectedAndClosed(String request, int status) throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send(request).readResponse();
            assertEquals(status, response.status(), response.head());
            assertEquals("close", response.header("connection"));
            assertTrue(http.isClosedByServer(), "connection must be closed after " + status);
        }
        assertStillServing();
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response response = http.send("GET /x" + i + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals(200, response.status());
                assertEquals("ok", response.bodyText());
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /big-upload/ HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", http.readResponse().bodyText());
            assertEquals("big ok", http.readResponse().bodyText());
            assertEquals("ok", http.readResponse().bodyText());
            assertEquals("ok", http.readResponse().bodyText());
        }
    }

    @Test
    void http10IsServedAndClosedUnlessKeepAliveIsAsked() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET / HTTP/1.0\r\n\r\n").readResponse();
            assertEquals(200, response.status());
            assertTrue(http.isClosedByServer());
        }
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").readResponse();
            assertEquals("keep-alive", response.header("connection"));
            assertEquals(200, http.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").readResponse().status());
        }
    }

    @Test
    void requestLineTooLongIs414() throws IOException {
        assertRejectedAndClosed("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
    }

    @Test
    void headersTooLargeAre431() throws IOException {
        assertRejectedAndClosed("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(3000) + "\r\n\r\n", 431);
    }

    @Test
    void declaredBodyOverTheLimitIs413BeforeTheBodyIsSent() throws IOException {
        assertRejectedAndClosed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", 413);
    }

    @Test
    void chunkedBodyGrowingOverTheLimitIs413() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            // the return action answers at once; the body is then discarded up to the limit, never past it
            http.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
            RawHttp.Response first = http.readResponse();
            assertEquals(200, first.status());
            http.send("40\r\n" + "x".repeat(64) + "\r\n40\r\n" + "y".repeat(64) + "\r\n0\r\n\r\n");
            assertTrue(http.isClosedByServer(), "a body over the limit must not keep the connection");
        }
        assertStillServing();
    }

    @Test
    void locationMayRaiseTheBodyLimit() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("POST /big-upload/ HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n"
                    + "z".repeat(500)).readResponse();
            assertEquals(200, response.status());
            assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
        }
    }

    @Test
    void malformedRequestIs400() throws IOException {
        assertRejectedAndClosed("GARBAGE\r\n\r\n", 400);
    }

    @Test
    void slowHeadersGet408AfterHeaderTimeout() throws IOException {
        long start = System.nanoTime();
        try (RawHttp http = new RawHttp(sluice.port())) {
            http.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1");
            RawHttp.Response response = http.readResponse();
            assertEquals(408, response.status());
            assertTrue(http.isClosedByServer());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 900 && millis < 8000, "header timeout took " + millis + " ms");
        assertStillServing();
    }

    @Test
    void idleNewConnectionIsClosedAfterHeaderTimeout() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            String all = http.readUntilClosed();
            assertTrue(all.isEmpty() || all.startsWith("HTTP/1.1 408"), all);
        }
    }

    @Test
    void slowBodyGets408AfterBodyTimeout() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            http.send("POST /big-upload/ HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
            RawHttp.Response response = http.readResponse();
            // the return action answers before reading the body; the unread rest then times out
            assertEquals(200, response.status());
            assertTrue(http.isClosedByServer());
        }
        assertStillServing();
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterKeepaliveTimeout() throws IOException {
        try (RawHttp http = new RawHttp(sluice.port())) {
            assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            long start = System.nanoTime();
            assertEquals("", http.readUntilClosed());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 1000 && millis < 8000, "keep-alive timeout took " + millis + " ms");
        }
    }

    @Test
    void connectionsOverMaxConnectionsAreClosedAtOnce() throws IOException {
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                RawHttp http = new RawHttp(sluice.port());
                held.add(http);
                assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
            try (RawHttp extra = new RawHttp(sluice.port(), 5000)) {
                extra.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("", extra.readUntilClosed());
            }
        } finally {
            for (RawHttp http : held) {
                http.close();
            }
        }
        waitForConnectionsBelow(5);
        assertStillServing();
    }

    private static void waitForConnectionsBelow(int count) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (sluice.server().activeConnections() >= count && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertFalse(sluice.server().activeConnections() >= count, "connections did not close");
    }
}
