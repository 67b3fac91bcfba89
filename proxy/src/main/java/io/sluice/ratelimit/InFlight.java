package io.sluice.ratelimit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests of one key in progress, as counted by {@link InFlightTable}. A request that got a slot
 * holds this object and calls {@link #release()} exactly once when it ends, so a release never has to
 * look the key up again. A count that falls to zero retires (becomes {@code -1}) and leaves the table, so
 * the table holds only keys with requests in progress.
 */
public final class InFlight {
    private static final int RETIRED = -1;

    private final ConcurrentHashMap<String, InFlight> table;
    private final String key;
    private final AtomicInteger count = new AtomicInteger(1);

    InFlight(ConcurrentHashMap<String, InFlight> table, String key) {
        this.table = table;
        this.key = key;
    }

    /** Takes one more slot unless {@code max} are taken; false also when this count has retired. */
    boolean tryAcquire(int max) {
        while (true) {
            int current = count.get();
            if (current == RETIRED || current >= max) {
                return false;
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    boolean retired() {
        return count.get() == RETIRED;
    }

    public int inProgress() {
        return Math.max(0, count.get());
    }

    /** Gives the slot back; the last one out takes the key out of the table. */
    public void release() {
        if (count.decrementAndGet() == 0 && count.compareAndSet(0, RETIRED)) {
            table.remove(key, this);
        }
    }
}
