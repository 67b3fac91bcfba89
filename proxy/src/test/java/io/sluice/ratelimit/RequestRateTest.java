package io.sluice.ratelimit;

import io.sluice.config.RateLimitZoneConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestRateTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ManualClock clock = new ManualClock();
    private final RateLimitZone zone = new RateLimitZone(new RateLimitZoneConfig("test", 1000, Duration.ofMinutes(1)), clock);

    /** 10r/s: one request every 100 ms. */
    private static RequestRate tenPerSecond(int burst) {
        return new RequestRate(100 * MS, burst);
    }

    private boolean admitted(String key, RequestRate rate) {
        return !RequestRate.refused(zone.admit(key, rate));
    }

    @Test
    void burstOfFiveAtTenPerSecondAdmitsSixAtOnceThenOneEveryHundredMilliseconds() {
        RequestRate rate = tenPerSecond(5);
        for (int i = 0; i < 6; i++) {
            assertTrue(admitted("a", rate), "request " + (i + 1) + " of the burst");
        }
        assertFalse(admitted("a", rate), "the 7th at the same instant");
        clock.advance(Duration.ofMillis(99));
        assertFalse(admitted("a", rate), "99 ms later the bucket has not drained a whole request");
        clock.advance(Duration.ofMillis(1));
        assertTrue(admitted("a", rate), "100 ms later one more");
        assertFalse(admitted("a", rate), "and only one");
        clock.advance(Duration.ofMillis(300));
        for (int i = 0; i < 3; i++) {
            assertTrue(admitted("a", rate), "300 ms later three more");
        }
        assertFalse(admitted("a", rate));
    }

    @Test
    void steadyRateAtTheLimitIsAlwaysAdmittedAndFasterIsRefusedInProportion() {
        RequestRate rate = tenPerSecond(0);
        for (int i = 0; i < 100; i++) {
            assertTrue(admitted("steady", rate), "request " + i + " at exactly 10r/s");
            clock.advance(Duration.ofMillis(100));
        }
        int admitted = 0;
        for (int i = 0; i < 200; i++) {
            if (admitted("fast", rate)) {
                admitted++;
            }
            clock.advance(Duration.ofMillis(25));
        }
        // 200 requests over 5 s at 40r/s: one in four conforms
        assertEquals(50, admitted);
    }

    @Test
    void refusalSaysHowLongUntilTheNextRequestConforms() {
        RequestRate rate = tenPerSecond(2);
        for (int i = 0; i < 3; i++) {
            zone.admit("a", rate);
        }
        long decision = zone.admit("a", rate);
        assertTrue(RequestRate.refused(decision));
        assertEquals(100 * MS, RequestRate.retryAfterNanos(decision));
        clock.advance(Duration.ofMillis(40));
        assertEquals(60 * MS, RequestRate.retryAfterNanos(zone.admit("a", rate)), "refusals do not use up the bucket");
    }

    @Test
    void withoutNodelayEachRequestOfTheBurstWaitsForItsTurn() {
        RequestRate rate = tenPerSecond(3);
        assertEquals(0, zone.admit("a", rate));
        assertEquals(100 * MS, zone.admit("a", rate));
        assertEquals(200 * MS, zone.admit("a", rate));
        assertEquals(300 * MS, zone.admit("a", rate));
        assertTrue(RequestRate.refused(zone.admit("a", rate)));
        clock.advance(Duration.ofMillis(250));
        assertEquals(150 * MS, zone.admit("a", rate), "its turn is after the 4 admitted before it");
    }

    @Test
    void delayLetsTheFirstExcessRequestsGoAtOnceAndHoldsBackTheRest() {
        RequestRate rate = tenPerSecond(4);
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(rate.delayNanos(zone.admit("a", rate), 2) / MS);
        }
        assertEquals(List.of(0L, 0L, 0L, 100L, 200L), delays, "burst 4, delay 2");
        assertEquals(0, rate.delayNanos(300 * MS, 4), "nodelay is a delay of the whole burst");
    }

    @Test
    void perMinuteRates() {
        RequestRate rate = new RequestRate(TimeUnit.MINUTES.toNanos(1) / 30, 0);
        assertTrue(admitted("a", rate));
        clock.advance(Duration.ofMillis(1999));
        assertFalse(admitted("a", rate));
        clock.advance(Duration.ofMillis(1));
        assertTrue(admitted("a", rate));
    }

    @Test
    void keysAreIndependent() {
        RequestRate rate = tenPerSecond(0);
        assertTrue(admitted("a", rate));
        assertFalse(admitted("a", rate));
        assertTrue(admitted("b", rate));
    }

    @Test
    void concurrentRequestsOfOneKeyAreAdmittedExactlyUpToTheBurst() throws Exception {
        RequestRate rate = tenPerSecond(99);
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    if (admitted("shared", rate)) {
                        admitted.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, admitted.get(), "burst 99 + 1 while the clock stands still, whichever thread asked");
    }
}
