package io.sluice.blocking;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Slow blocking work runs on the blocking pool while the loop that submitted it keeps serving. */
class LoopStaysResponsiveIT {

    @Test
    void hundredRequestsAreServedOnTheLoopWhileABlockingTaskSleeps() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  blocking-pool { threads = 2, queue = 10 }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""")) {
            EventLoop loop = sluice.server().workers().next();
            String[] ranOn = new String[2];
            Future<String> slow = sluice.server().blockingPool().submit(() -> {
                Thread.sleep(2000);
                return Thread.currentThread().getName();
            }, loop);
            java.util.concurrent.CountDownLatch continued = new java.util.concurrent.CountDownLatch(1);
            slow.addListener(f -> {
                ranOn[1] = Thread.currentThread().getName();
                continued.countDown();
            });

            long start = System.nanoTime();
            try (RawHttp http = new RawHttp(sluice.port())) {
                for (int i = 0; i < 100; i++) {
                    assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                }
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertFalse(slow.isDone(), "the 100 requests should finish while the task still sleeps");
            assertTrue(millis < 1500, "100 requests took " + millis + " ms while a blocking task slept");

            ranOn[0] = slow.get(5, TimeUnit.SECONDS);
            assertTrue(ranOn[0].startsWith("sluice-blocking-"), ranOn[0]);
            assertTrue(continued.await(5, TimeUnit.SECONDS));
            assertTrue(ranOn[1].startsWith("sluice-worker"),
                    "the continuation must run back on the submitting loop, ran on " + ranOn[1]);
        }
    }

    @Test
    void fullQueueFailsFastInsteadOfWaiting() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  blocking-pool { threads = 1, queue = 1 }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""")) {
            EventLoop loop = sluice.server().workers().next();
            BlockingPool pool = sluice.server().blockingPool();
            pool.submit(() -> { Thread.sleep(500); return 1; }, loop);
            pool.submit(() -> 2, loop);
            Future<Integer> rejected = pool.submit(() -> 3, loop);
            assertTrue(rejected.await(1, TimeUnit.SECONDS));
            assertTrue(rejected.cause() instanceof java.util.concurrent.RejectedExecutionException, String.valueOf(rejected.cause()));
            assertEquals(1, pool.rejectedTasks());
        }
    }
}
