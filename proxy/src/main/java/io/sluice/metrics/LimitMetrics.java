package io.sluice.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;

/**
 * The request-limit data points of one location, resolved once per configuration load; the points of a
 * limit the location does not have are null and never called.
 */
public final class LimitMetrics {
    private final CounterDataPoint rateRefused;
    private final CounterDataPoint rateDelayed;
    private final CounterDataPoint connRefused;

    LimitMetrics(CounterDataPoint rateRefused, CounterDataPoint rateDelayed, CounterDataPoint connRefused) {
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
