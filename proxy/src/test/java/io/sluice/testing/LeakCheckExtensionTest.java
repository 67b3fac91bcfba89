package io.sluice.testing;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak check can fail: a buffer dropped without release is reported. */
class LeakCheckExtensionTest {

    @Test
    void reportsABufferDroppedWithoutRelease() throws InterruptedException {
        assertTrue(LeakCheckExtension.collectReports().isEmpty());
        leakOne();
        assertFalse(LeakCheckExtension.collectReports().isEmpty(), "a leaked buffer must be reported");
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(128).writeLong(42);
    }
}
