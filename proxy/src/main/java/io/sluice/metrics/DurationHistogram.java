package io.sluice.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A classic Prometheus histogram of durations in seconds, observed in nanoseconds, exported exactly like the
 * Prometheus Java client's classic-only histogram. An observation is two striped adds (a bucket and the
 * sum in whole nanoseconds); the count is the buckets' total, read when scraped.
 */
final class DurationHistogram implements Metric {
    private final String name;
    private final String help;
    private final String[] labelNames;
    /** The upper bounds as exported ({@code le}), +Inf last. */
    private final String[] upperBounds;
    /** The bounds in nanoseconds, without +Inf: an observation goes to the first it does not exceed. */
    private final long[] upperBoundNanos;
    private final Map<List<String>, Series> series = new ConcurrentHashMap<>();

    DurationHistogram(String name, String help, double[] upperBoundSeconds, String... labelNames) {
        this.name = name;
        this.help = help;
        this.labelNames = labelNames.clone();
        this.upperBounds = new String[upperBoundSeconds.length + 1];
        this.upperBoundNanos = new long[upperBoundSeconds.length];
        for (int i = 0; i < upperBoundSeconds.length; i++) {
            upperBounds[i] = TextFormat.number(upperBoundSeconds[i]);
            upperBoundNanos[i] = Math.round(upperBoundSeconds[i] * 1e9);
        }
        upperBounds[upperBoundSeconds.length] = TextFormat.number(Double.POSITIVE_INFINITY);
    }

    /** The series of these label values, created on first use; resolve it once, off the request path. */
    Series labelValues(String... values) {
        return series.computeIfAbsent(List.of(values), key -> new Series(SeriesLabels.of(labelNames, values), upperBoundNanos));
    }

    /** Per series (keyed by label values in the declared order): how many observations were at or below each bound. */
    Map<List<String>, long[]> cumulativeCounts() {
        Map<List<String>, long[]> counts = new LinkedHashMap<>();
        series.forEach((values, one) -> counts.put(values, one.cumulativeCounts()));
        return counts;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void writeTo(StringBuilder out) {
        if (series.isEmpty()) {
            return;
        }
        List<Series> sorted = new ArrayList<>(series.values());
        sorted.sort((a, b) -> a.labels.compareTo(b.labels));
        TextFormat.header(out, name, help, "histogram");
        for (Series one : sorted) {
            long[] cumulative = one.cumulativeCounts();
            for (int i = 0; i < cumulative.length; i++) {
                out.append(name).append("_bucket");
                one.labels.writeTo(out, "le", upperBounds[i]);
                out.append(' ').append(cumulative[i]).append('\n');
            }
            TextFormat.sample(out, name + "_count", one.labels, Long.toString(cumulative[cumulative.length - 1]));
            TextFormat.sample(out, name + "_sum", one.labels, TextFormat.number(one.sumSeconds()));
        }
    }

    /** The buckets and sum of one set of label values; observed from any thread without a lock. */
    static final class Series {
        private final SeriesLabels labels;
        private final long[] upperBoundNanos;
        private final LongAdder[] buckets;
        private final LongAdder sumNanos = new LongAdder();

        private Series(SeriesLabels labels, long[] upperBoundNanos) {
            this.labels = labels;
            this.upperBoundNanos = upperBoundNanos;
            this.buckets = new LongAdder[upperBoundNanos.length + 1];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void observe(long nanos) {
            int bucket = 0;
            while (bucket < upperBoundNanos.length && nanos > upperBoundNanos[bucket]) {
                bucket++;
            }
            buckets[bucket].increment();
            sumNanos.add(nanos);
        }

        /** Each bucket's count plus all below it; the last is the count of all observations. */
        long[] cumulativeCounts() {
            long[] cumulative = new long[buckets.length];
            long running = 0;
            for (int i = 0; i < buckets.length; i++) {
                running += buckets[i].sum();
                cumulative[i] = running;
            }
            return cumulative;
        }

        /** The sum of all observations, in seconds. */
        double sumSeconds() {
            return sumNanos.sum() / 1e9;
        }
    }
}
