package io.sluice.balance;

import io.sluice.config.BalancingConfig;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Envoy-style retry budget of one upstream group, shared by all loops: in any second, retries may add at
 * most {@code ratio} of the requests started in the last two seconds, and at least {@code min-per-second}
 * are always allowed. When a backend fails, its retries are thus bounded by a fraction of the traffic
 * instead of multiplying it. Counters live in one-second slots and are reset by whichever loop first
 * sees a new second; a race there may let a retry or two more through, which a budget can afford.
 */
final class RetryBudget {
    private static final long SECOND = 1_000_000_000L;

    private final double ratio;
    private final int minPerSecond;
    private final AtomicLong second = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong previousRequests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();

    RetryBudget(BalancingConfig.RetryBudget config) {
        this.ratio = config.ratio();
        this.minPerSecond = config.minPerSecond();
    }

    void requestStarted(long nowNanos) {
        roll(nowNanos);
        requests.incrementAndGet();
    }

    /** Takes one retry from the budget if there is one left. */
    boolean tryRetry(long nowNanos) {
        roll(nowNanos);
        long allowed = Math.max(minPerSecond, (long) (ratio * (requests.get() + previousRequests.get())));
        if (retries.incrementAndGet() <= allowed) {
            return true;
        }
        retries.decrementAndGet();
        return false;
    }

    private void roll(long nowNanos) {
        long now = Math.floorDiv(nowNanos, SECOND);
        long current = second.get();
        if (now != current && second.compareAndSet(current, now)) {
            previousRequests.set(now == current + 1 ? requests.get() : 0);
            requests.set(0);
            retries.set(0);
        }
    }
}
