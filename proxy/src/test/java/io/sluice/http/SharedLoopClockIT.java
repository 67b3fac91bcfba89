package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections on one event loop share its {@link LoopClock}: each is still closed on its own deadline,
 * wherever the others' stand, and a connection that keeps asking is never cut off by the shared clock.
 */
class SharedLoopClockIT {
    private static final long KEEPALIVE_MILLIS = 1500;
    private static final long HEADER_MILLIS = 1000;

    @Test
    void connectionsOfOneLoopCloseEachOnItsOwnDeadline() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { header-timeout = 1s, keepalive-timeout = 1500ms }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""");
             RawHttp early = new RawHttp(sluice.port(), 20_000);
             RawHttp late = new RawHttp(sluice.port(), 20_000);
             RawHttp busy = new RawHttp(sluice.port(), 20_000)) {
            assertEquals("ok", early.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText());
            CompletableFuture<Long> earlyClosed = closedAfter(early, System.nanoTime());
            Thread.sleep(700);
            assertEquals("ok", late.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText());
            CompletableFuture<Long> lateClosed = closedAfter(late, System.nanoTime());
            long silentStart = System.nanoTime();
            try (RawHttp silent = new RawHttp(sluice.port(), 20_000)) {
                CompletableFuture<Long> silentClosed = closedAfter(silent, silentStart);

                // each request moves this connection's deadline later, past everyone else's
                for (int i = 0; i < 8; i++) {
                    assertEquals("ok", busy.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText(), "request " + i);
                    Thread.sleep(400);
                }

                assertWithin(KEEPALIVE_MILLIS, earlyClosed.get(15, TimeUnit.SECONDS), "idle after a request");
                assertWithin(KEEPALIVE_MILLIS, lateClosed.get(15, TimeUnit.SECONDS), "idle after a later request");
                assertWithin(HEADER_MILLIS, silentClosed.get(15, TimeUnit.SECONDS), "new and silent");
            }
            assertEquals("ok", busy.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText(), "still open");
        }
    }

    /** Milliseconds from {@code start} until the server closes {@code http}, read on a thread of its own. */
    private static CompletableFuture<Long> closedAfter(RawHttp http, long start) {
        CompletableFuture<Long> closed = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                String rest = http.readUntilClosed();
                // a connection that never sent a request may get a 408 on its way out
                boolean quiet = rest.isEmpty() || rest.startsWith("HTTP/1.1 408");
                closed.complete(quiet ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) : -1L);
            } catch (Exception e) {
                closed.completeExceptionally(e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        return closed;
    }

    private static void assertWithin(long timeoutMillis, long closedMillis, String connection) {
        assertTrue(closedMillis >= timeoutMillis - 100 && closedMillis < timeoutMillis + 5000,
                connection + ": closed after " + closedMillis + " ms, timeout " + timeoutMillis + " ms");
    }
}
