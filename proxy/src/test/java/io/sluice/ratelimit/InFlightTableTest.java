package io.sluice.ratelimit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InFlightTableTest {
    private final InFlightTable table = new InFlightTable();

    @Test
    void admitsUpToMaxPerKeyAndAReleaseMakesRoom() {
        InFlight first = table.tryAcquire("a", 2);
        InFlight second = table.tryAcquire("a", 2);
        assertNotNull(first);
        assertNotNull(second);
        assertNull(table.tryAcquire("a", 2), "a third request of the key");
        assertNotNull(table.tryAcquire("b", 2), "another key is not affected");
        first.release();
        assertEquals(1, table.inProgress("a"));
        assertNotNull(table.tryAcquire("a", 2));
    }

    @Test
    void keysWithNothingInProgressLeaveTheTable() {
        List<InFlight> slots = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            slots.add(table.tryAcquire("key" + i, 1));
        }
        assertEquals(1000, table.keys());
        slots.forEach(InFlight::release);
        assertEquals(0, table.keys());
        assertNotNull(table.tryAcquire("key1", 1), "a retired key starts over");
        assertEquals(1, table.keys());
    }

    @Test
    void concurrentAcquiresNeverExceedMaxAndEveryReleaseIsCounted() throws Exception {
        int max = 3;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger worst = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 50_000; i++) {
                    InFlight slot = table.tryAcquire("hot", max);
                    if (slot == null) {
                        continue;
                    }
                    int now = inside.incrementAndGet();
                    worst.accumulateAndGet(now, Math::max);
                    served.incrementAndGet();
                    inside.decrementAndGet();
                    slot.release();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertTrue(worst.get() <= max, "at most " + max + " at once, saw " + worst.get());
        assertTrue(served.get() > 0);
        assertEquals(0, table.keys(), "every key left the table once its last request ended");
        assertEquals(0, table.inProgress("hot"));
    }
}
