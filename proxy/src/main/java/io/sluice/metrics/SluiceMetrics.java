package io.sluice.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Every metric of one Sluice process, exported in the Prometheus text format. The hot path never looks
 * labels up: a location, listener or upstream server resolves its data points once ({@link #location},
 * {@link #listener}, {@link #upstream}) when the configuration is compiled, and then only increments
 * them; every data point is a striped adder, so loops do not contend. The metrics and the exposition are
 * our own small classes, written to produce byte for byte what the Prometheus Java client produced for the
 * same metrics (tested against it): the client's registry, builders, snapshots and properties loader were
 * about a hundred classes and 60-80 ms of CPU at every start, for the few metric kinds used here.
 */
public final class SluiceMetrics {
    /** Request durations in seconds: 1 ms to 30 s. */
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static final double[] DURATION_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final List<Metric> registry = new CopyOnWriteArrayList<>();
    private final Counter requests = register(new Counter("sluice_requests",
            "Requests answered, by server block, location and status class", "server", "location", "status"));
    private final DurationHistogram duration = register(new DurationHistogram("sluice_request_duration_seconds",
            "Time from the request head to the last byte of the response handed to the socket", DURATION_BUCKETS,
            "server", "location"));
    private final Counter bytesIn = register(new Counter("sluice_request_body_bytes",
            "Request body bytes received", "server", "location"));
    private final Counter bytesOut = register(new Counter("sluice_response_body_bytes",
            "Response body bytes sent", "server", "location"));
    private final Counter limitedRequests = register(new Counter("sluice_limited_requests",
            "Requests refused or delayed by a location's rate-limit or limit-conn, by zone and limit",
            "server", "location", "zone", "limit", "result"));
    private final Counter protocolRequests = register(new Counter("sluice_requests_by_protocol",
            "Requests answered, by the protocol the client spoke", "protocol"));
    private final ProtocolMetrics protocols = new ProtocolMetrics(protocolRequests.labelValues("HTTP/1.0"),
            protocolRequests.labelValues("HTTP/1.1"), protocolRequests.labelValues("HTTP/2.0"),
            protocolRequests.labelValues("HTTP/3.0"));
    private final Counter connectionsTotal = register(new Counter("sluice_connections",
            "Client connections accepted per listen address", "listener"));
    private final Counter tlsHandshakes = register(new Counter("sluice_tls_handshakes",
            "TLS handshakes per listen address and result", "listener", "result"));
    private final Counter upstreamRequests = register(new Counter("sluice_upstream_requests",
            "Requests sent to upstream servers, by status class of the answer", "upstream", "server", "status"));
    private final Counter upstreamErrors = register(new Counter("sluice_upstream_errors",
            "Upstream attempts that failed (connect, timeout, reset)", "upstream", "server", "reason"));
    private final DurationHistogram upstreamLatency = register(new DurationHistogram("sluice_upstream_response_seconds",
            "Time from sending the request upstream to its response head", DURATION_BUCKETS, "upstream", "server"));
    private final Counter reloads = register(new Counter("sluice_config_reloads",
            "Configuration reloads by result", "result"));
    private final ConfigInfo configInfo = register(new ConfigInfo());
    private volatile double lastReloadSeconds;
    private final Map<String, UpstreamMetrics> upstreams = new ConcurrentHashMap<>();
    private final Map<String, ListenerMetrics> listeners = new ConcurrentHashMap<>();

    public SluiceMetrics() {
        register(ScrapedMetric.gauge("sluice_connections_active", "Open client connections per listen address",
                series -> listeners.forEach((address, listener) -> series.report(listener.active(), address)), "listener"));
        register(ScrapedMetric.gauge("sluice_upstream_in_flight", "Requests in flight per upstream server",
                series -> upstreams.values().forEach(u -> series.report(u.inFlight(), u.upstream(), u.server())),
                "upstream", "server"));
        register(ScrapedMetric.gauge("sluice_upstream_idle_connections", "Idle pooled connections per upstream server (all loops)",
                series -> upstreams.values().forEach(u -> series.report(u.idleConnections(), u.upstream(), u.server())),
                "upstream", "server"));
        register(ScrapedMetric.gauge("sluice_upstream_healthy",
                "1 when the upstream server is healthy (or not checked), 0 when marked down",
                series -> upstreams.values().forEach(u -> series.report(u.health() == UpstreamMetrics.Health.DOWN ? 0 : 1,
                        u.upstream(), u.server())),
                "upstream", "server"));
        register(ScrapedMetric.gauge("sluice_config_last_reload_timestamp_seconds", "When the running configuration was loaded",
                series -> series.report(lastReloadSeconds)));
        reloads.labelValues("success");
        reloads.labelValues("failure");
    }

    private <M extends Metric> M register(M metric) {
        registry.add(metric);
        return metric;
    }

    /** The pre-resolved data points of one location; {@code location} is its match, e.g. {@code ^~ /api/}. */
    public LocationMetrics location(String server, String location) {
        Counter.Point[] byStatusClass = new Counter.Point[STATUS_CLASSES.length];
        for (int i = 0; i < byStatusClass.length; i++) {
            byStatusClass[i] = requests.labelValues(server, location, STATUS_CLASSES[i]);
        }
        return new LocationMetrics(byStatusClass, duration.labelValues(server, location),
                bytesIn.labelValues(server, location), bytesOut.labelValues(server, location));
    }

    /**
     * The request-limit data points of one location; {@code rateZone} and {@code connZone} name the zones of
     * its {@code rate-limit} and {@code limit-conn}, null for a limit it does not have (whose series are then
     * not exported).
     */
    public LimitMetrics limits(String server, String location, String rateZone, String connZone) {
        return new LimitMetrics(
                rateZone == null ? null : limitedRequests.labelValues(server, location, rateZone, "rate", "refused"),
                rateZone == null ? null : limitedRequests.labelValues(server, location, rateZone, "rate", "delayed"),
                connZone == null ? null : limitedRequests.labelValues(server, location, connZone, "conn", "refused"));
    }

    /** Requests per client protocol, for every location. */
    public ProtocolMetrics protocols() {
        return protocols;
    }

    /** The metrics of one listen address, created on first use and kept across reloads and rebinds. */
    public ListenerMetrics listener(String address) {
        return listeners.computeIfAbsent(address, key -> new ListenerMetrics(connectionsTotal.labelValues(address),
                tlsHandshakes.labelValues(address, "success"), tlsHandshakes.labelValues(address, "failure")));
    }

    /** The metrics of one upstream server, created on first use and kept across reloads. */
    public UpstreamMetrics upstream(String upstream, String server) {
        return upstreams.computeIfAbsent(upstream + " " + server, key -> new UpstreamMetrics(upstream, server,
                upstreamRequests, upstreamErrors, upstreamLatency.labelValues(upstream, server)));
    }

    public Collection<UpstreamMetrics> upstreams() {
        return upstreams.values();
    }

    /** A gauge read when scraped, e.g. a queue depth owned by another component. */
    public void gauge(String name, String help, DoubleSupplier value) {
        register(ScrapedMetric.gauge(name, help, series -> series.report(value.getAsDouble())));
    }

    /** Gauges of one name read when scraped, one series per key of the map, labelled {@code label}. */
    public void gauges(String name, String help, String label, Supplier<Map<String, Double>> values) {
        register(ScrapedMetric.gauge(name, help,
                series -> values.get().forEach((key, value) -> series.report(value, key)), label));
    }

    /** A counter read when scraped; {@code name} without the {@code _total} suffix, which is added. */
    public void counter(String name, String help, DoubleSupplier value) {
        register(ScrapedMetric.counter(name, help, series -> series.report(value.getAsDouble())));
    }

    public void configLoaded(String hash, boolean reload) {
        configInfo.hash(hash);
        lastReloadSeconds = System.currentTimeMillis() / 1000.0;
        if (reload) {
            reloads.labelValues("success").inc();
        }
    }

    public void reloadFailed() {
        reloads.labelValues("failure").inc();
    }

    /** Per-location totals for the status page, read from the same data points the exposition writes. */
    public List<LocationTotals> locationTotals() {
        // label values in the declared order: server, location, then status (requests) or zone, limit, result
        Map<List<String>, long[]> byStatus = new LinkedHashMap<>();
        requests.values().forEach((labels, count) -> {
            long[] counts = byStatus.computeIfAbsent(labels.subList(0, 2), key -> new long[2]);
            counts[0] += count;
            if ("5xx".equals(labels.get(2))) {
                counts[1] += count;
            }
        });
        Map<List<String>, long[]> buckets = duration.cumulativeCounts();
        Map<List<String>, Long> limited = new LinkedHashMap<>();
        limitedRequests.values().forEach((labels, count) -> {
            if ("refused".equals(labels.get(4))) {
                limited.merge(labels.subList(0, 2), count, Long::sum);
            }
        });
        List<LocationTotals> totals = new ArrayList<>();
        byStatus.forEach((key, counts) -> totals.add(new LocationTotals(key.get(0), key.get(1), counts[0], counts[1],
                buckets.getOrDefault(key, new long[DURATION_BUCKETS.length + 1]), limited.getOrDefault(key, 0L))));
        return totals;
    }

    /** The upper bounds, in seconds, of the buckets in {@link LocationTotals#durationBuckets()}; the last is +Inf. */
    public static double[] durationBounds() {
        double[] bounds = Arrays.copyOf(DURATION_BUCKETS, DURATION_BUCKETS.length + 1);
        bounds[DURATION_BUCKETS.length] = Double.POSITIVE_INFINITY;
        return bounds;
    }

    public String contentType() {
        return TextFormat.CONTENT_TYPE;
    }

    /** Writes the Prometheus text exposition format: every metric with a series, ordered by name. */
    public void write(OutputStream out) throws IOException {
        List<Metric> metrics = new ArrayList<>(registry);
        metrics.sort((a, b) -> a.name().compareTo(b.name()));
        StringBuilder text = new StringBuilder(8192);
        for (Metric metric : metrics) {
            metric.writeTo(text);
        }
        out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
