package io.sluice.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;

/** The data points of one location, resolved once per configuration load; recording allocates nothing. */
public final class LocationMetrics {
    private final CounterDataPoint[] byStatusClass;
    private final DurationHistogram.Series duration;
    private final CounterDataPoint bytesIn;
    private final CounterDataPoint bytesOut;

    LocationMetrics(CounterDataPoint[] byStatusClass, DurationHistogram.Series duration, CounterDataPoint bytesIn,
                    CounterDataPoint bytesOut) {
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
