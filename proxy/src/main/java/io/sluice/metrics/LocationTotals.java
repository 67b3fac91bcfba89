package io.sluice.metrics;

/**
 * Running totals of one location since start: requests, 5xx answers, the cumulative count of requests
 * at or below each bound of {@link SluiceMetrics#durationBounds()}, and requests refused by its
 * {@code rate-limit} or {@code limit-conn}.
 */
public record LocationTotals(String server, String location, long requests, long serverErrors, long[] durationBuckets,
                             long limited) {
}
