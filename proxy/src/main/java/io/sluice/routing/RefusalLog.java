package io.sluice.routing;

import io.sluice.ratelimit.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs a location's refused requests without letting a flood of them flood the log: the first refusal is
 * logged at once, later ones are counted and summed up in at most one line per interval. Each refused
 * request still gets its own access log line with its status.
 */
final class RefusalLog {
    private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String location;
    private final String limit;
    private final int status;
    private final NanoClock clock;
    private final AtomicLong unlogged = new AtomicLong();
    private final AtomicLong nextLineAt;

    /** {@code limit} says which limit refuses, e.g. {@code rate-limit 10r/s burst 5 (zone per-ip)}. */
    RefusalLog(String location, String limit, int status, NanoClock clock) {
        this.location = location;
        this.limit = limit;
        this.status = status;
        this.clock = clock;
        this.nextLineAt = new AtomicLong(clock.nanoTime());
    }

    /** Counts one refusal of a request from {@code client}. */
    void refused(InetSocketAddress client) {
        unlogged.incrementAndGet();
        long now = clock.nanoTime();
        long due = nextLineAt.get();
        if (now - due >= 0 && nextLineAt.compareAndSet(due, now + INTERVAL_NANOS)) {
            long count = unlogged.getAndSet(0);
            log.warn("{}: {} request{} refused with {} by {} (latest from {}); at most one such line per {}s",
                    location, count, count == 1 ? "" : "s", status, limit,
                    client == null ? "-" : client.getAddress().getHostAddress(),
                    TimeUnit.NANOSECONDS.toSeconds(INTERVAL_NANOS));
        }
    }
}
