package io.sluice.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * Every metric of one Sluice process, in a Prometheus registry. The hot path never looks labels up: a
 * location, listener or upstream server resolves its data points once ({@link #location},
 * {@link #listener}, {@link #upstream}) when the configuration is compiled, and then only increments
 * them. The client's counters and our {@link DurationHistogram}s are striped adders, so loops do not
 * contend. Nothing keeps exemplars: nothing here traces requests, and an exemplar sampler per metric costs
 * every increment a check and the start a scheduler thread and a probe for OpenTelemetry classes.
 */
public final class SluiceMetrics {
    /** Request durations in seconds: 1 ms to 30 s. */
    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    static final double[] DURATION_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter textFormat = PrometheusTextFormatWriter.create();
    private final Counter requests = Counter.builder().name("sluice_requests")
            .help("Requests answered, by server block, location and status class")
            .labelNames("server", "location", "status").withoutExemplars().register(registry);
    private final DurationHistogram duration = register(new DurationHistogram("sluice_request_duration_seconds",
            "Time from the request head to the last byte of the response handed to the socket", DURATION_BUCKETS,
            "server", "location"));
    private final Counter bytesIn = Counter.builder().name("sluice_request_body_bytes")
            .help("Request body bytes received").labelNames("server", "location").withoutExemplars().register(registry);
    private final Counter bytesOut = Counter.builder().name("sluice_response_body_bytes")
            .help("Response body bytes sent").labelNames("server", "location").withoutExemplars().register(registry);
    private final Counter limitedRequests = Counter.builder().name("sluice_limited_requests")
            .help("Requests refused or delayed by a location's rate-limit or limit-conn, by zone and limit")
            .labelNames("server", "location", "zone", "limit", "result").withoutExemplars().register(registry);
    private final Counter protocolRequests = Counter.builder().name("sluice_requests_by_protocol")
            .help("Requests answered, by the protocol the client spoke").labelNames("protocol")
            .withoutExemplars().register(registry);
    private final ProtocolMetrics protocols = new ProtocolMetrics(protocolRequests.labelValues("HTTP/1.0"),
            protocolRequests.labelValues("HTTP/1.1"), protocolRequests.labelValues("HTTP/2.0"),
            protocolRequests.labelValues("HTTP/3.0"));
    private final Counter connectionsTotal = Counter.builder().name("sluice_connections")
            .help("Client connections accepted per listen address").labelNames("listener")
            .withoutExemplars().register(registry);
    private final Counter tlsHandshakes = Counter.builder().name("sluice_tls_handshakes")
            .help("TLS handshakes per listen address and result").labelNames("listener", "result")
            .withoutExemplars().register(registry);
    private final Counter upstreamRequests = Counter.builder().name("sluice_upstream_requests")
            .help("Requests sent to upstream servers, by status class of the answer")
            .labelNames("upstream", "server", "status").withoutExemplars().register(registry);
    private final Counter upstreamErrors = Counter.builder().name("sluice_upstream_errors")
            .help("Upstream attempts that failed (connect, timeout, reset)")
            .labelNames("upstream", "server", "reason").withoutExemplars().register(registry);
    private final DurationHistogram upstreamLatency = register(new DurationHistogram("sluice_upstream_response_seconds",
            "Time from sending the request upstream to its response head", DURATION_BUCKETS, "upstream", "server"));
    private final Counter reloads = Counter.builder().name("sluice_config_reloads")
            .help("Configuration reloads by result").labelNames("result").withoutExemplars().register(registry);
    private final Gauge lastReload = Gauge.builder().name("sluice_config_last_reload_timestamp_seconds")
            .help("When the running configuration was loaded").withoutExemplars().register(registry);
    private final Info configInfo = Info.builder().name("sluice_config")
            .help("The running configuration's hash").labelNames("hash").register(registry);
    private final Map<String, UpstreamMetrics> upstreams = new ConcurrentHashMap<>();
    private final Map<String, ListenerMetrics> listeners = new ConcurrentHashMap<>();

    public SluiceMetrics() {
        GaugeWithCallback.builder().name("sluice_connections_active")
                .help("Open client connections per listen address").labelNames("listener")
                .callback(callback -> listeners.forEach((address, listener) -> callback.call(listener.active(), address)))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_in_flight")
                .help("Requests in flight per upstream server").labelNames("upstream", "server")
                .callback(callback -> upstreams.values().forEach(u -> callback.call(u.inFlight(), u.upstream(), u.server())))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_idle_connections")
                .help("Idle pooled connections per upstream server (all loops)").labelNames("upstream", "server")
                .callback(callback -> upstreams.values().forEach(u -> callback.call(u.idleConnections(), u.upstream(), u.server())))
                .register(registry);
        GaugeWithCallback.builder().name("sluice_upstream_healthy")
                .help("1 when the upstream server is healthy (or not checked), 0 when marked down")
                .labelNames("upstream", "server")
                .callback(callback -> upstreams.values().forEach(u -> callback.call(u.health() == UpstreamMetrics.Health.DOWN ? 0 : 1,
                        u.upstream(), u.server())))
                .register(registry);
        reloads.initLabelValues("success");
        reloads.initLabelValues("failure");
    }

    private DurationHistogram register(DurationHistogram histogram) {
        registry.register(histogram);
        return histogram;
    }

    /** The pre-resolved data points of one location; {@code location} is its match, e.g. {@code ^~ /api/}. */
    public LocationMetrics location(String server, String location) {
        CounterDataPoint[] byStatusClass = new CounterDataPoint[STATUS_CLASSES.length];
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
        GaugeWithCallback.builder().name(name).help(help).callback(callback -> callback.call(value.getAsDouble()))
                .register(registry);
    }

    /** A counter read when scraped; {@code name} without the {@code _total} suffix, which is added. */
    public void counter(String name, String help, DoubleSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(callback -> callback.call(value.getAsDouble()))
                .register(registry);
    }

    public void configLoaded(String hash, boolean reload) {
        configInfo.setLabelValues(hash);
        lastReload.set(System.currentTimeMillis() / 1000.0);
        if (reload) {
            reloads.labelValues("success").inc();
        }
    }

    public void reloadFailed() {
        reloads.labelValues("failure").inc();
    }

    /** Per-location totals for the status page, read from the same data points Prometheus scrapes. */
    public List<LocationTotals> locationTotals() {
        Map<List<String>, long[]> byStatus = new LinkedHashMap<>();
        for (CounterSnapshot.CounterDataPointSnapshot point : requests.collect().getDataPoints()) {
            long[] counts = byStatus.computeIfAbsent(List.of(point.getLabels().get("server"), point.getLabels().get("location")),
                    key -> new long[2]);
            counts[0] += (long) point.getValue();
            if ("5xx".equals(point.getLabels().get("status"))) {
                counts[1] += (long) point.getValue();
            }
        }
        Map<List<String>, long[]> buckets = new LinkedHashMap<>();
        for (HistogramSnapshot.HistogramDataPointSnapshot point : duration.collect().getDataPoints()) {
            ClassicHistogramBuckets classic = point.getClassicBuckets();
            long[] cumulative = new long[classic.size()];
            long running = 0;
            for (int i = 0; i < classic.size(); i++) {
                running += classic.getCount(i);
                cumulative[i] = running;
            }
            buckets.put(List.of(point.getLabels().get("server"), point.getLabels().get("location")), cumulative);
        }
        Map<List<String>, Long> limited = new LinkedHashMap<>();
        for (CounterSnapshot.CounterDataPointSnapshot point : limitedRequests.collect().getDataPoints()) {
            if ("refused".equals(point.getLabels().get("result"))) {
                limited.merge(List.of(point.getLabels().get("server"), point.getLabels().get("location")),
                        (long) point.getValue(), Long::sum);
            }
        }
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
        return textFormat.getContentType();
    }

    /** Writes the Prometheus text exposition format. */
    public void write(OutputStream out) throws IOException {
        textFormat.write(out, registry.scrape());
    }
}
