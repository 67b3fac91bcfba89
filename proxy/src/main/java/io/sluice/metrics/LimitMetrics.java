package io.sluice.metrics;

/**
 * The request-limit data points of one location, resolved once per configuration load; the points of a
 * limit the location does not have are null and never called.
 */
public final class LimitMetrics {
    private final Counter.Point rateRefused;
    private final Counter.Point rateDelayed;
    private final Counter.Point connRefused;

    LimitMetrics(Counter.Point rateRefused, Counter.Point rateDelayed, Counter.Point connRefused) {
        this.rateRefused = rateRefused;
        this.rateDelayed = rateDelayed;
        this.connRefused = connRefused;
    }

    /** A request over its {@code rate-limit}, answered with the limit's status. */
    public void rateRefused() {
        rateRefused.inc();
    }

    /** A request inside the burst held back to conform to the rate ({@code nodelay = false}). */
    public void rateDelayed() {
        rateDelayed.inc();
    }

    /** A request over its {@code limit-conn}, answered with the limit's status. */
    public void connRefused() {
        connRefused.inc();
    }
}
