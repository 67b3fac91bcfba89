package io.sluice.metrics;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationHistogramTest {
    private static final double[] BOUNDS = SluiceMetrics.DURATION_BUCKETS;

    @Test
    void exportsWhatTheClientLibrarysClassicHistogramExportsForTheSameObservations() throws IOException {
        DurationHistogram histogram = new DurationHistogram("t_duration_seconds", "A duration", BOUNDS, "server", "location");
        PrometheusRegistry library = new PrometheusRegistry();
        Histogram reference = Histogram.builder().name("t_duration_seconds").help("A duration")
                .labelNames("server", "location").classicOnly().classicUpperBounds(BOUNDS).withoutExemplars()
                .register(library);

        // on a bound, just over it, far over the last one, and zero
        long[] nanos = {0, 1_000_000, 1_000_001, 2_500_000, 7_000_000, 999_999_999, 1_000_000_000, 30_000_000_000L,
                31_000_000_000L, 120_000_000_000L, 12_345};
        for (int i = 0; i < nanos.length; i++) {
            String location = i % 2 == 0 ? "/" : "^~ /api/";
            histogram.labelValues("a", location).observe(nanos[i]);
            reference.labelValues("a", location).observe(nanos[i] / 1e9);
        }

        PrometheusText expected = PrometheusText.parse(text(library));
        PrometheusText actual = PrometheusText.parse(text(histogram));
        assertEquals(withoutSums(text(library)), withoutSums(text(histogram)));
        for (String location : List.of("/", "^~ /api/")) {
            Map<String, String> labels = Map.of("server", "a", "location", location);
            assertEquals(expected.value("t_duration_seconds_sum", labels), actual.value("t_duration_seconds_sum", labels), 1e-9);
        }
    }

    @Test
    void countsEveryObservationFromSeveralThreadsExactly() throws Exception {
        DurationHistogram histogram = new DurationHistogram("t_seconds", "A duration", BOUNDS, "server");
        DurationHistogram.Series series = histogram.labelValues("a");
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    series.observe(i % 2 == 0 ? 500_000 : 3_000_000);
                }
            });
            thread.start();
            started.add(thread);
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join();
        }

        long[] cumulative = series.cumulativeCounts();
        assertEquals((long) threads * perThread, cumulative[cumulative.length - 1]);
        assertEquals((long) threads * perThread / 2, cumulative[0], "<= 1 ms");
        assertEquals((long) threads * perThread, cumulative[2], "<= 5 ms");
        assertEquals(threads * perThread / 2 * 0.0035, series.sumSeconds(), 1e-6);
    }

    @Test
    void refusesLabelValuesThatDoNotMatchItsLabelNames() {
        DurationHistogram histogram = new DurationHistogram("t_seconds", "A duration", BOUNDS, "server", "location");
        assertThrows(IllegalArgumentException.class, () -> histogram.labelValues("a"));
    }

    private static String text(DurationHistogram histogram) {
        StringBuilder out = new StringBuilder();
        histogram.writeTo(out);
        return out.toString();
    }

    private static String text(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(UTF_8);
    }

    /** The sums are added in a different order and unit, so they may differ in their last digits. */
    private static String withoutSums(String text) {
        return text.replaceAll("(?m)^t_duration_seconds_sum.*$", "");
    }
}
