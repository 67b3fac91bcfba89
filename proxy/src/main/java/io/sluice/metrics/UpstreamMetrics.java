package io.sluice.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream server's requests, latency, errors, in-flight requests, pooled connections and health.
 * The proxy resolves it once per upstream server and calls it from any loop.
 */
public final class UpstreamMetrics {

    /** What health checks last concluded; {@code UNKNOWN} until they have run. */
    public enum Health { UNKNOWN, UP, DOWN }

    private final String upstream;
    private final String server;
    private final Counter.Point[] byStatusClass = new Counter.Point[5];
    private final Counter errors;
    private final DurationHistogram.Series latency;
    private final LongAdder inFlight = new LongAdder();
    private final LongAdder idleConnections = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private volatile Health health = Health.UNKNOWN;

    UpstreamMetrics(String upstream, String server, Counter requests, Counter errors, DurationHistogram.Series latency) {
        this.upstream = upstream;
        this.server = server;
        for (int i = 0; i < byStatusClass.length; i++) {
            byStatusClass[i] = requests.labelValues(upstream, server, (i + 1) + "xx");
        }
        this.errors = errors;
        this.latency = latency;
    }

    public String upstream() {
        return upstream;
    }

    public String server() {
        return server;
    }

    public void requestStarted() {
        inFlight.increment();
    }

    /** The upstream answered with {@code status}; {@code latencyNanos} until its response head. */
    public void requestAnswered(int status, long latencyNanos) {
        inFlight.decrement();
        byStatusClass[Math.min(Math.max(status / 100, 1), 5) - 1].inc();
        latency.observe(latencyNanos);
    }

    /** The attempt failed before an answer; {@code reason} is a short fixed word such as {@code connect}. */
    public void requestFailed(String reason) {
        inFlight.decrement();
        failures.increment();
        errors.labelValues(upstream, server, reason).inc();
    }

    public void connectionPooled() {
        idleConnections.increment();
    }

    public void connectionUnpooled() {
        idleConnections.decrement();
    }

    public void health(Health health) {
        this.health = health;
    }

    public Health health() {
        return health;
    }

    public long inFlight() {
        return inFlight.sum();
    }

    public long idleConnections() {
        return idleConnections.sum();
    }

    public long failures() {
        return failures.sum();
    }
}
