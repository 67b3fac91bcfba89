package io.sluice.metrics;

/**
 * Running totals of one location since start: requests, 5xx answers, and the cumulative count of requests
 * at or below each bound of {@link SluiceMetrics#durationBounds()}.
 */
public record LocationTotals(String server, String location, long requests, long serverErrors, long[] durationBuckets) {
}
