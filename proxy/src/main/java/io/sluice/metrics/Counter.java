package io.sluice.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter with labels, exported as {@code NAME_total}. Each series is a striped adder resolved once with
 * {@link #labelValues} (off the request path), so loops counting at once do not contend.
 */
final class Counter implements Metric {
    private final String name;
    private final String help;
    private final String[] labelNames;
    private final Map<List<String>, Point> points = new ConcurrentHashMap<>();

    Counter(String name, String help, String... labelNames) {
        this.name = name;
        this.help = help;
        this.labelNames = labelNames.clone();
    }

    /** The series of these label values (in the declared order of the names), created at zero on first use. */
    Point labelValues(String... values) {
        return points.computeIfAbsent(List.of(values), key -> new Point(SeriesLabels.of(labelNames, values)));
    }

    /** The value of every series, keyed by its label values in the declared order. */
    Map<List<String>, Long> values() {
        Map<List<String>, Long> values = new LinkedHashMap<>();
        points.forEach((key, point) -> values.put(key, point.value()));
        return values;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void writeTo(StringBuilder out) {
        if (points.isEmpty()) {
            return;
        }
        List<Point> sorted = new ArrayList<>(points.values());
        sorted.sort((a, b) -> a.labels.compareTo(b.labels));
        String exposed = name + "_total";
        TextFormat.header(out, exposed, help, "counter");
        for (Point point : sorted) {
            TextFormat.sample(out, exposed, point.labels, TextFormat.number(point.value()));
        }
    }

    /** One series of a counter. */
    static final class Point {
        private final SeriesLabels labels;
        private final LongAdder count = new LongAdder();

        private Point(SeriesLabels labels) {
            this.labels = labels;
        }

        void inc() {
            count.increment();
        }

        void inc(long amount) {
            count.add(amount);
        }

        long value() {
            return count.sum();
        }
    }
}
