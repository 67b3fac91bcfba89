package io.sluice.tls;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OcspFetcherTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

    @Test
    void aResponseIsRefreshedAtHalfItsRemainingValidityAndAtLeastHourly() {
        assertEquals(Duration.ofMinutes(15), OcspFetcher.refreshDelay(staple(NOW.plus(Duration.ofMinutes(30))), NOW));
        assertEquals(Duration.ofHours(1), OcspFetcher.refreshDelay(staple(NOW.plus(Duration.ofDays(7))), NOW));
        assertEquals(Duration.ofHours(1), OcspFetcher.refreshDelay(staple(null), NOW), "no nextUpdate: hourly");
        assertEquals(Duration.ofSeconds(1), OcspFetcher.refreshDelay(staple(NOW.plusMillis(500)), NOW),
                "never hammers the responder");
    }

    @Test
    void failuresAreRetriedWithADoublingBackOffUpToFiveMinutes() {
        assertEquals(Duration.ofSeconds(5), OcspFetcher.retryDelay(1));
        assertEquals(Duration.ofSeconds(10), OcspFetcher.retryDelay(2));
        assertEquals(Duration.ofSeconds(160), OcspFetcher.retryDelay(6));
        assertEquals(Duration.ofMinutes(5), OcspFetcher.retryDelay(7));
        assertEquals(Duration.ofMinutes(5), OcspFetcher.retryDelay(500));
    }

    private static OcspStaple staple(Instant nextUpdate) {
        return new OcspStaple(new byte[0], NOW.minus(Duration.ofHours(1)), nextUpdate);
    }
}
