package io.sluice.admin;

import io.sluice.metrics.LocationTotals;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.server.SluiceServer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples the server once a second and keeps the last five minutes, for the status page's rates,
 * percentiles and sparklines. Rates and percentiles come from differences between samples, so they
 * describe recent traffic rather than everything since start.
 */
final class StatusHistory implements AutoCloseable {
    static final int SECONDS_KEPT = 300;
    /** Percentiles per location are computed over this many seconds. */
    private static final int PERCENTILE_WINDOW = 60;
    private static final double[] BOUNDS = SluiceMetrics.durationBounds();

    /** One second's view: totals at that instant. */
    private record Sample(long atMillis, long requests, long serverErrors, int connections,
                          Map<String, LocationTotals> locations) {
    }

    /** The numbers shown for one second of the sparklines. */
    record Point(long atMillis, double requestsPerSecond, double errorRate, int connections, double p99Millis) {
    }

    private final SluiceServer server;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private final Deque<Point> points = new ArrayDeque<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-status-sampler");
        thread.setDaemon(true);
        return thread;
    });

    StatusHistory(SluiceServer server) {
        this.server = server;
        sample();
        timer.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    private void sample() {
        Map<String, LocationTotals> locations = new LinkedHashMap<>();
        long requests = 0;
        long errors = 0;
        for (LocationTotals totals : server.metrics().locationTotals()) {
            locations.put(totals.server() + " " + totals.location(), totals);
            requests += totals.requests();
            errors += totals.serverErrors();
        }
        Sample now = new Sample(System.currentTimeMillis(), requests, errors, server.activeConnections(), locations);
        synchronized (this) {
            Sample previous = samples.peekLast();
            samples.addLast(now);
            while (samples.size() > PERCENTILE_WINDOW + 1) {
                samples.removeFirst();
            }
            if (previous != null) {
                points.addLast(point(previous, now));
                while (points.size() > SECONDS_KEPT) {
                    points.removeFirst();
                }
            }
        }
    }

    private static Point point(Sample before, Sample now) {
        double seconds = Math.max(0.001, (now.atMillis() - before.atMillis()) / 1000.0);
        long requests = now.requests() - before.requests();
        long errors = now.serverErrors() - before.serverErrors();
        long[] delta = new long[BOUNDS.length];
        now.locations().forEach((key, totals) -> {
            LocationTotals old = before.locations().get(key);
            for (int i = 0; i < delta.length; i++) {
                delta[i] += totals.durationBuckets()[i] - (old == null ? 0 : old.durationBuckets()[i]);
            }
        });
        return new Point(now.atMillis(), requests / seconds, requests == 0 ? 0 : (double) errors / requests,
                now.connections(), percentileMillis(delta, 0.99));
    }

    /** Interpolates within the bucket holding the quantile, as Prometheus's histogram_quantile does. */
    static double percentileMillis(long[] cumulative, double quantile) {
        long total = cumulative[cumulative.length - 1];
        if (total == 0) {
            return 0;
        }
        double rank = quantile * total;
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= rank) {
                double lower = i == 0 ? 0 : BOUNDS[i - 1];
                if (Double.isInfinite(BOUNDS[i])) {
                    return lower * 1000;
                }
                long below = i == 0 ? 0 : cumulative[i - 1];
                long inBucket = cumulative[i] - below;
                double fraction = inBucket == 0 ? 1 : (rank - below) / inBucket;
                return (lower + (BOUNDS[i] - lower) * fraction) * 1000;
            }
        }
        return BOUNDS[BOUNDS.length - 2] * 1000;
    }

    synchronized List<Point> points() {
        return new ArrayList<>(points);
    }

    /**
     * Per location: requests/s, 5xx rate, p50 and p99 over the last minute, and the totals since start of
     * requests and of requests refused by its rate-limit or limit-conn.
     */
    synchronized List<Map<String, Object>> locations() {
        Sample now = samples.peekLast();
        Sample first = samples.peekFirst();
        List<Map<String, Object>> rows = new ArrayList<>();
        if (now == null) {
            return rows;
        }
        double seconds = Math.max(1, (now.atMillis() - first.atMillis()) / 1000.0);
        Map<String, LocationTotals> before = first == now ? new HashMap<>() : first.locations();
        now.locations().forEach((key, totals) -> {
            LocationTotals old = before.get(key);
            long[] delta = new long[BOUNDS.length];
            for (int i = 0; i < delta.length; i++) {
                delta[i] = totals.durationBuckets()[i] - (old == null ? 0 : old.durationBuckets()[i]);
            }
            long requests = totals.requests() - (old == null ? 0 : old.requests());
            long errors = totals.serverErrors() - (old == null ? 0 : old.serverErrors());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("server", totals.server());
            row.put("location", totals.location());
            row.put("requests_total", totals.requests());
            row.put("requests_per_second", requests / seconds);
            row.put("error_rate", requests == 0 ? 0.0 : (double) errors / requests);
            row.put("p50_ms", percentileMillis(delta, 0.5));
            row.put("p99_ms", percentileMillis(delta, 0.99));
            row.put("limited_total", totals.limited());
            rows.add(row);
        });
        return rows;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
