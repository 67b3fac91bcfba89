package io.sluice.metrics;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.MetricType;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A classic Prometheus histogram of durations in seconds, observed in nanoseconds, exported exactly like the
 * client library's classic-only histogram. Why our own: the library's observation takes an atomic counter
 * shared by every loop (its scrape buffer), a lambda and three adders; here it is two striped adds (a bucket
 * and the sum in whole nanoseconds), and the count is the buckets' total, read when scraped.
 */
final class DurationHistogram implements Collector {
    private final MetricMetadata metadata;
    private final String[] labelNames;
    /** The upper bounds in seconds as exported, +Inf last. */
    private final double[] upperBounds;
    /** The same bounds in nanoseconds, without +Inf: an observation goes to the first it does not exceed. */
    private final long[] upperBoundNanos;
    private final Map<List<String>, Series> series = new ConcurrentHashMap<>();

    DurationHistogram(String name, String help, double[] upperBoundSeconds, String... labelNames) {
        this.metadata = new MetricMetadata(name, help);
        this.labelNames = labelNames.clone();
        this.upperBounds = Arrays.copyOf(upperBoundSeconds, upperBoundSeconds.length + 1);
        this.upperBounds[upperBoundSeconds.length] = Double.POSITIVE_INFINITY;
        this.upperBoundNanos = new long[upperBoundSeconds.length];
        for (int i = 0; i < upperBoundSeconds.length; i++) {
            upperBoundNanos[i] = Math.round(upperBoundSeconds[i] * 1e9);
        }
    }

    /** The series of these label values, created on first use; resolve it once, off the request path. */
    Series labelValues(String... values) {
        if (values.length != labelNames.length) {
            throw new IllegalArgumentException("expected " + labelNames.length + " label values, got " + values.length);
        }
        return series.computeIfAbsent(List.of(values), key -> new Series(upperBoundNanos));
    }

    @Override
    public HistogramSnapshot collect() {
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>(series.size());
        series.forEach((values, one) -> {
            long[] counts = new long[upperBounds.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = one.buckets[i].sum();
            }
            points.add(new HistogramSnapshot.HistogramDataPointSnapshot(ClassicHistogramBuckets.of(upperBounds, counts),
                    one.sumNanos.sum() / 1e9, Labels.of(labelNames, values.toArray(String[]::new)), Exemplars.EMPTY, 0L));
        });
        return new HistogramSnapshot(metadata, points);
    }

    @Override
    public String getPrometheusName() {
        return metadata.getPrometheusName();
    }

    @Override
    public MetricType getMetricType() {
        return MetricType.HISTOGRAM;
    }

    @Override
    public Set<String> getLabelNames() {
        return new LinkedHashSet<>(Arrays.asList(labelNames));
    }

    @Override
    public MetricMetadata getMetadata() {
        return metadata;
    }

    /** The buckets and sum of one set of label values; observed from any thread without a lock. */
    static final class Series {
        private final long[] upperBoundNanos;
        private final LongAdder[] buckets;
        private final LongAdder sumNanos = new LongAdder();

        private Series(long[] upperBoundNanos) {
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
    }
}
