package io.sluice.cache;

import java.util.concurrent.atomic.LongAdder;

/** How requests to caching locations were answered, by {@code X-Cache} value; striped so loops do not contend. */
public final class CacheStats {
    public enum Result { HIT, MISS, STALE, REVALIDATED, BYPASS }

    private final LongAdder[] counts = new LongAdder[Result.values().length];

    CacheStats() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void count(Result result) {
        counts[result.ordinal()].increment();
    }

    public long total(Result... results) {
        long sum = 0;
        for (Result result : results) {
            sum += counts[result.ordinal()].sum();
        }
        return sum;
    }

    /** Hits (fresh, stale or revalidated) over every cacheable request, 0 when there were none. */
    public double hitRatio() {
        long served = total(Result.HIT, Result.STALE, Result.REVALIDATED);
        long all = served + total(Result.MISS);
        return all == 0 ? 0 : (double) served / all;
    }
}
