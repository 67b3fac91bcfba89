package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client connection keeps reading while a proxied exchange runs (no epoll_ctl per request): what arrives
 * meanwhile must wait its turn, reach the upstream byte-exact, and a half-sent next head must still be on
 * the header clock.
 */
class ReadAheadIT {

    @Test
    void requestsPipelinedBehindASlowProxiedResponseAreAnsweredInOrder() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""));
             RawHttp http = new RawHttp(sluice.port())) {
            String body = "x".repeat(100_000);
            http.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                    + "GET /status/204 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/slow", backend.requests.poll(10, TimeUnit.SECONDS).uri());
            Thread.sleep(300);
            assertTrue(backend.requests.isEmpty(), "the pipelined requests wait for the slow response");
            backend.releaseSlow.countDown();

            RawHttp.Response slow = http.readChunkedResponse();
            assertEquals("first\nlast\n", new String(slow.body(), US_ASCII));
            RawHttp.Response upload = http.readResponse();
            assertEquals(200, upload.status());
            assertEquals(HexFormat.of().formatHex(TestBackend.sha256().digest(body.getBytes(US_ASCII))) + " " + body.length(),
                    upload.bodyText());
            assertEquals(204, http.readResponse().status());
        }
    }

    @Test
    void proxiedRequestsAreAnsweredInOrderWhetherPipelinedOrSentOneByOne() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""));
             RawHttp http = new RawHttp(sluice.port())) {
            StringBuilder pipelined = new StringBuilder();
            for (int size = 1; size <= 30; size++) {
                pipelined.append("GET /download-cl/").append(size * 37).append(" HTTP/1.1\r\nHost: a\r\n\r\n");
            }
            http.send(pipelined.toString());
            for (int size = 1; size <= 30; size++) {
                RawHttp.Response response = http.readResponse();
                assertEquals(200, response.status());
                assertEquals(size * 37, response.body().length, "response " + size + " out of order");
            }
            // one at a time: each response has usually left before the next request arrives
            for (int size = 1; size <= 30; size++) {
                http.send("GET /download-cl/" + size * 41 + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawHttp.Response response = http.readResponse();
                assertEquals(size * 41, response.body().length);
            }
            http.send("GET /status/204 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertEquals(204, http.readResponse().status());
            assertTrue(http.isClosedByServer());
        }
    }

    @Test
    void aHalfSentHeadArrivingDuringAnExchangeIsOnTheHeaderClock() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), "",
                     "limits { header-timeout = 1s, keepalive-timeout = 60s }"));
             RawHttp http = new RawHttp(sluice.port())) {
            http.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
            Thread.sleep(300);
            http.send("GET /next HTTP/1.1\r\nHo");
            Thread.sleep(300);
            backend.releaseSlow.countDown();
            assertEquals(200, http.readChunkedResponse().status());

            long started = System.nanoTime();
            RawHttp.Response timeout = http.readResponse();
            assertEquals(408, timeout.status());
            assertTrue(http.isClosedByServer());
            assertTrue(System.nanoTime() - started < 8_000_000_000L, "the keep-alive clock ran instead of the header clock");
        }
    }
}
