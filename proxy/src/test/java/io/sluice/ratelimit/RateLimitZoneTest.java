package io.sluice.ratelimit;

import io.sluice.config.RateLimitZoneConfig;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitZoneTest {
    private final ManualClock clock = new ManualClock();
    private final RequestRate oneEverySecond = new RequestRate(TimeUnit.SECONDS.toNanos(1), 0);

    @Test
    void aMillionDistinctKeysStayWithinMaxKeysAndTheHeapStaysFlat() {
        int maxKeys = 10_000;
        RateLimitZone zone = new RateLimitZone(new RateLimitZoneConfig("flood", maxKeys, Duration.ofMinutes(10)), clock);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 100_000; i++) {
            zone.admit(address(i), oneEverySecond);
        }
        zone.cleanUp();
        long before = usedHeapAfterGc(memory);
        for (int i = 100_000; i < 1_000_000; i++) {
            zone.admit(address(i), oneEverySecond);
            if (i % 100_000 == 0) {
                zone.cleanUp();
                assertTrue(zone.rateKeys() <= maxKeys, zone.rateKeys() + " keys after " + i);
            }
        }
        zone.cleanUp();
        assertTrue(zone.rateKeys() <= maxKeys, zone.rateKeys() + " keys");
        long grown = usedHeapAfterGc(memory) - before;
        // 10,000 entries are a few MB; nine hundred thousand more keys must not add anything like their size
        assertTrue(grown < 32L << 20, "heap grew by " + (grown >> 20) + " MB");
    }

    @Test
    void idleKeysExpireAndComeBackWithAFullBucket() {
        RateLimitZone zone = new RateLimitZone(new RateLimitZoneConfig("idle", 1000, Duration.ofSeconds(30)), clock);
        for (int i = 0; i < 500; i++) {
            zone.admit(address(i), oneEverySecond);
        }
        assertFalse(RequestRate.refused(zone.admit("kept", oneEverySecond)));
        zone.cleanUp();
        assertEquals(501, zone.rateKeys());
        clock.advance(Duration.ofSeconds(20));
        assertFalse(RequestRate.refused(zone.admit("kept", oneEverySecond)), "20 s later the key conforms again");
        clock.advance(Duration.ofSeconds(20));
        zone.cleanUp();
        assertEquals(1, zone.rateKeys(), "keys idle for 40 s are gone, the one used 20 s ago stays");
    }

    @Test
    void longKeysAreKeptAsDigestsButStillTellKeysApart() {
        String longA = "a".repeat(5000);
        String longB = "a".repeat(4999) + "b";
        assertEquals(44, RateLimitZone.compact(longA).length());
        assertFalse(RateLimitZone.compact(longA).equals(RateLimitZone.compact(longB)));
        assertEquals("10.0.0.1", RateLimitZone.compact("10.0.0.1"));
        RateLimitZone zone = new RateLimitZone(new RateLimitZoneConfig("long", 1000, Duration.ofSeconds(30)), clock);
        assertFalse(RequestRate.refused(zone.admit(longA, oneEverySecond)));
        assertTrue(RequestRate.refused(zone.admit(longA, oneEverySecond)));
        assertFalse(RequestRate.refused(zone.admit(longB, oneEverySecond)));
    }

    private static String address(int i) {
        return "10." + (i >>> 16 & 0xff) + "." + (i >>> 8 & 0xff) + "." + (i & 0xff) + ":" + (i >>> 24);
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
