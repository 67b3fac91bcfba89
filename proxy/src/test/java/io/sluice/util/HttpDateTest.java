package io.sluice.util;

import io.netty.handler.codec.DateFormatter;
import org.junit.jupiter.api.Test;

import java.util.Date;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HttpDateTest {
    @Test
    void writesTheRfcExample() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(784111777));
    }

    @Test
    void writesWhatNettysCalendarBasedFormatterWrites() {
        long[] edges = {0, -1, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 951_868_800, 4_107_542_400L /* 2100-03-01 */,
                253_402_300_799L /* 9999-12-31T23:59:59 */, 1_700_000_000};
        for (long second : edges) {
            assertSameAsNetty(second);
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            assertSameAsNetty(random.nextLong(0, 253_402_300_800L));
        }
    }

    private static void assertSameAsNetty(long second) {
        assertEquals(DateFormatter.format(new Date(second * 1000)), HttpDate.format(second), "second " + second);
    }
}
