package io.sluice.ratelimit;

import io.sluice.config.RateLimitConfig;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A rate with a burst, decided by the generic cell rate algorithm (GCRA), the token bucket written as one
 * number per key: the theoretical arrival time (TAT), when the key's bucket would be empty again if
 * requests kept draining at the rate. A request at {@code now} conforms while {@code max(TAT, now) - now}
 * is at most the burst tolerance, and pushes TAT on by one interval. With rate 10r/s and burst 5 an idle
 * key gets six requests at once, the seventh is refused, and one more conforms every 100 ms after.
 * The same number gives nginx's delay for requests inside the burst: {@code max(TAT, now) - now}.
 *
 * <p>One long per key means one compare-and-set decides a request, whichever event loop it arrives on.
 */
public final class RequestRate {
    private final long intervalNanos;
    private final long toleranceNanos;

    public RequestRate(long intervalNanos, int burst) {
        if (intervalNanos < 1 || burst < 0) {
            throw new IllegalArgumentException("interval " + intervalNanos + "ns, burst " + burst);
        }
        this.intervalNanos = intervalNanos;
        this.toleranceNanos = intervalNanos * burst;
    }

    public static RequestRate of(RateLimitConfig config) {
        return new RequestRate(config.intervalNanos(), config.burst());
    }

    /**
     * Decides one request against a key's TAT and records it when it conforms. Returns the delay that
     * would make it conform to the rate ({@code >= 0}, zero when the bucket had room) or, when it is
     * refused, minus the time until a request of the key would conform again ({@code < 0}); a refused
     * request does not change the state.
     */
    long admit(AtomicLong theoreticalArrival, long now) {
        while (true) {
            long tat = theoreticalArrival.get();
            // TAT starts at Long.MIN_VALUE for a new key; comparing by difference keeps wrap-around safe
            long start = tat == Long.MIN_VALUE || tat - now < 0 ? now : tat;
            long wait = start - now;
            if (wait > toleranceNanos) {
                return -(wait - toleranceNanos);
            }
            if (theoreticalArrival.compareAndSet(tat, start + intervalNanos)) {
                return wait;
            }
        }
    }

    /**
     * For an admitted decision: how long the request waits when the first {@code undelayed} requests beyond
     * the rate are served at once (nginx's {@code delay=N}; {@code nodelay} is all of the burst).
     */
    public long delayNanos(long decision, int undelayed) {
        return Math.max(0, decision - undelayed * intervalNanos);
    }

    /** True when {@link #admit}'s answer refuses the request. */
    public static boolean refused(long decision) {
        return decision < 0;
    }

    /** For a refused decision: nanoseconds until the key may send again. */
    public static long retryAfterNanos(long decision) {
        return -decision;
    }
}
