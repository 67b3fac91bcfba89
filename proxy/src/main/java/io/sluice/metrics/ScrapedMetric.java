package io.sluice.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A gauge or counter whose values are read from their owner when scraped (a queue depth, open connections
 * per listener): the owner's callback reports each series with {@link Series#report}.
 */
final class ScrapedMetric implements Metric {
    /** Where a callback reports one series: its value and label values, in the declared order of the names. */
    interface Series {
        void report(double value, String... labelValues);
    }

    private final String name;
    private final String help;
    private final String type;
    private final String[] labelNames;
    private final Consumer<Series> callback;

    private ScrapedMetric(String name, String help, String type, String[] labelNames, Consumer<Series> callback) {
        this.name = name;
        this.help = help;
        this.type = type;
        this.labelNames = labelNames;
        this.callback = callback;
    }

    static ScrapedMetric gauge(String name, String help, Consumer<Series> callback, String... labelNames) {
        return new ScrapedMetric(name, help, "gauge", labelNames.clone(), callback);
    }

    /** A counter: {@code name} without the {@code _total} suffix, which the exposition adds. */
    static ScrapedMetric counter(String name, String help, Consumer<Series> callback) {
        return new ScrapedMetric(name, help, "counter", new String[0], callback);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void writeTo(StringBuilder out) {
        record Sample(SeriesLabels labels, double value) {
        }
        List<Sample> samples = new ArrayList<>();
        callback.accept((value, labelValues) -> samples.add(new Sample(SeriesLabels.of(labelNames, labelValues), value)));
        if (samples.isEmpty()) {
            return;
        }
        samples.sort((a, b) -> a.labels().compareTo(b.labels()));
        String exposed = type.equals("counter") ? name + "_total" : name;
        TextFormat.header(out, exposed, help, type);
        for (Sample sample : samples) {
            TextFormat.sample(out, exposed, sample.labels(), TextFormat.number(sample.value()));
        }
    }
}
