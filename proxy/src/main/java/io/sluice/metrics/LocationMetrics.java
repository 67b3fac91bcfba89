package io.sluice.metrics;

/** The data points of one location, resolved once per configuration load; recording allocates nothing. */
public final class LocationMetrics {
    private final Counter.Point[] byStatusClass;
    private final DurationHistogram.Series duration;
    private final Counter.Point bytesIn;
    private final Counter.Point bytesOut;

    LocationMetrics(Counter.Point[] byStatusClass, DurationHistogram.Series duration, Counter.Point bytesIn,
                    Counter.Point bytesOut) {
        this.byStatusClass = byStatusClass;
        this.duration = duration;
        this.bytesIn = bytesIn;
        this.bytesOut = bytesOut;
    }

    public void record(int status, long durationNanos, long requestBodyBytes, long responseBodyBytes) {
        int statusClass = Math.min(Math.max(status / 100, 1), 5) - 1;
        byStatusClass[statusClass].inc();
        duration.observe(durationNanos);
        if (requestBodyBytes > 0) {
            bytesIn.inc(requestBodyBytes);
        }
        if (responseBodyBytes > 0) {
            bytesOut.inc(responseBodyBytes);
        }
    }
}
