package io.sluice.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our exposition against the Prometheus Java client's, which Sluice used until session 17: the same
 * metrics (names, help, labels, kinds), built with the client as they were, given the same events, must
 * be written byte for byte the same, including the order of metrics and series, escaping and numbers.
 */
class SluiceMetricsTest {
    private static final String LOCATION = "^~ /a\"b\\c\nd";

    @Test
    void aFreshProcessWritesWhatTheClientWrote() throws IOException {
        SluiceMetrics ours = new SluiceMetrics();
        Reference reference = new Reference();
        assertEquals(withoutReloadTime(reference.text()), withoutReloadTime(text(ours)));
        assertTrue(text(ours).contains("sluice_config_last_reload_timestamp_seconds 0.0\n"));
    }

    @Test
    void recordedEventsAreWrittenAsTheClientWroteThem() throws IOException {
        SluiceMetrics ours = new SluiceMetrics();
        Reference reference = new Reference();

        ours.location("main", LOCATION).record(200, 3_000_000, 10, 2000);
        reference.location("main", LOCATION, 200, 3_000_000, 10, 2000);
        ours.location("main", LOCATION).record(503, 3_000_000_000L, 0, 0);
        reference.location("main", LOCATION, 503, 3_000_000_000L, 0, 0);
        ours.location("main", "/").record(404, 1, 0, 12_345_678_901L);
        reference.location("main", "/", 404, 1, 0, 12_345_678_901L);
        ours.limits("main", "/", "zone", null).rateRefused();
        reference.limitedRequests.labelValues("main", "/", "zone", "rate", "refused").inc();
        reference.limitedRequests.labelValues("main", "/", "zone", "rate", "delayed");
        ours.limits("main", LOCATION, null, "per-ip").connRefused();
        reference.limitedRequests.labelValues("main", LOCATION, "per-ip", "conn", "refused").inc();
        for (String listener : List.of("127.0.0.1:8443", "127.0.0.1:80")) {
            ours.listener(listener).connectionOpened();
            ours.listener(listener).handshake(false);
            reference.listener(listener);
            reference.connectionsTotal.labelValues(listener).inc();
            reference.tlsHandshakes.labelValues(listener, "failure").inc();
        }
        UpstreamMetrics upstream = ours.upstream("app", "127.0.0.1:9");
        reference.upstream("app", "127.0.0.1:9");
        upstream.requestStarted();
        upstream.requestAnswered(302, 5_000_000);
        reference.upstreamRequests.labelValues("app", "127.0.0.1:9", "3xx").inc();
        reference.upstreamLatency.labelValues("app", "127.0.0.1:9").observe(0.005);
        upstream.requestStarted();
        upstream.requestFailed("connect");
        reference.upstreamErrors.labelValues("app", "127.0.0.1:9", "connect").inc();
        upstream.connectionPooled();
        upstream.health(UpstreamMetrics.Health.DOWN);
        reference.upstreams.get(0).state = new double[] {0, 1, 0};
        ours.upstream("api", "10.0.0.1:80");
        reference.upstream("api", "10.0.0.1:80");
        ours.protocols().requestAnswered("HTTP/2.0");
        reference.protocolRequests.labelValues("HTTP/2.0").inc();
        ours.gauge("sluice_a_gauge", "A gauge \\ with\na newline", () -> Double.NaN);
        reference.gauge("sluice_a_gauge", "A gauge \\ with\na newline", Double.NaN);
        ours.counter("sluice_a_counter", "A counter", () -> 1e7);
        reference.counter("sluice_a_counter", "A counter", 1e7);
        ours.configLoaded("3f2a", true);
        reference.configInfo.setLabelValues("3f2a");
        reference.reloads.labelValues("success").inc();
        ours.reloadFailed();
        reference.reloads.labelValues("failure").inc();

        String expected = reference.text();
        assertEquals(withoutReloadTime(expected), withoutReloadTime(text(ours)));
        PrometheusText.parse(text(ours));
    }

    @Test
    void locationTotalsAddUpTheSeriesOfEachLocation() {
        SluiceMetrics metrics = new SluiceMetrics();
        metrics.location("main", "/").record(200, 500_000, 0, 0);
        metrics.location("main", "/").record(502, 20_000_000, 0, 0);
        metrics.location("main", "/api/");
        metrics.limits("main", "/", "zone", "conn").rateRefused();
        metrics.limits("main", "/", "zone", "conn").rateDelayed();
        metrics.limits("main", "/", "zone", "conn").connRefused();

        List<LocationTotals> totals = metrics.locationTotals();
        assertEquals(2, totals.size());
        LocationTotals root = totals.stream().filter(t -> t.location().equals("/")).findFirst().orElseThrow();
        assertEquals("main", root.server());
        assertEquals(2, root.requests());
        assertEquals(1, root.serverErrors());
        assertEquals(2, root.limited(), "refused by the rate and by the connection limit; delayed is not refused");
        assertArrayEquals(new long[] {1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, root.durationBuckets());
        LocationTotals api = totals.stream().filter(t -> t.location().equals("/api/")).findFirst().orElseThrow();
        assertEquals(0, api.requests());
        assertArrayEquals(new long[15], api.durationBuckets());
    }

    private static String text(SluiceMetrics metrics) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        return out.toString(UTF_8);
    }

    /** The load time is the clock's; the tests compare everything else. */
    private static String withoutReloadTime(String text) {
        return text.replaceAll("(?m)^(sluice_config_last_reload_timestamp_seconds) \\S+$", "$1 TIME");
    }

    /** The metrics as SluiceMetrics made them with the Prometheus client. */
    private static final class Reference {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Counter requests = Counter.builder().name("sluice_requests")
                .help("Requests answered, by server block, location and status class")
                .labelNames("server", "location", "status").withoutExemplars().register(registry);
        final Histogram duration = Histogram.builder().name("sluice_request_duration_seconds")
                .help("Time from the request head to the last byte of the response handed to the socket")
                .labelNames("server", "location").classicOnly().classicUpperBounds(SluiceMetrics.DURATION_BUCKETS)
                .withoutExemplars().register(registry);
        final Counter bytesIn = Counter.builder().name("sluice_request_body_bytes")
                .help("Request body bytes received").labelNames("server", "location").withoutExemplars().register(registry);
        final Counter bytesOut = Counter.builder().name("sluice_response_body_bytes")
                .help("Response body bytes sent").labelNames("server", "location").withoutExemplars().register(registry);
        final Counter limitedRequests = Counter.builder().name("sluice_limited_requests")
                .help("Requests refused or delayed by a location's rate-limit or limit-conn, by zone and limit")
                .labelNames("server", "location", "zone", "limit", "result").withoutExemplars().register(registry);
        final Counter protocolRequests = Counter.builder().name("sluice_requests_by_protocol")
                .help("Requests answered, by the protocol the client spoke").labelNames("protocol")
                .withoutExemplars().register(registry);
        final Counter connectionsTotal = Counter.builder().name("sluice_connections")
                .help("Client connections accepted per listen address").labelNames("listener")
                .withoutExemplars().register(registry);
        final Counter tlsHandshakes = Counter.builder().name("sluice_tls_handshakes")
                .help("TLS handshakes per listen address and result").labelNames("listener", "result")
                .withoutExemplars().register(registry);
        final Counter upstreamRequests = Counter.builder().name("sluice_upstream_requests")
                .help("Requests sent to upstream servers, by status class of the answer")
                .labelNames("upstream", "server", "status").withoutExemplars().register(registry);
        final Counter upstreamErrors = Counter.builder().name("sluice_upstream_errors")
                .help("Upstream attempts that failed (connect, timeout, reset)")
                .labelNames("upstream", "server", "reason").withoutExemplars().register(registry);
        final Histogram upstreamLatency = Histogram.builder().name("sluice_upstream_response_seconds")
                .help("Time from sending the request upstream to its response head").labelNames("upstream", "server")
                .classicOnly().classicUpperBounds(SluiceMetrics.DURATION_BUCKETS).withoutExemplars().register(registry);
        final Counter reloads = Counter.builder().name("sluice_config_reloads")
                .help("Configuration reloads by result").labelNames("result").withoutExemplars().register(registry);
        final Gauge lastReload = Gauge.builder().name("sluice_config_last_reload_timestamp_seconds")
                .help("When the running configuration was loaded").withoutExemplars().register(registry);
        final Info configInfo = Info.builder().name("sluice_config")
                .help("The running configuration's hash").labelNames("hash").register(registry);
        final List<String> listeners = new ArrayList<>();
        final List<UpstreamServer> upstreams = new ArrayList<>();

        /** An upstream server's gauges: in flight, idle connections, healthy. */
        static final class UpstreamServer {
            final String[] labels;
            double[] state = {0, 0, 1};

            UpstreamServer(String upstream, String server) {
                labels = new String[] {upstream, server};
            }
        }

        Reference() {
            for (String protocol : List.of("HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0")) {
                protocolRequests.labelValues(protocol);
            }
            GaugeWithCallback.builder().name("sluice_connections_active")
                    .help("Open client connections per listen address").labelNames("listener")
                    .callback(callback -> listeners.forEach(listener -> callback.call(1, listener))).register(registry);
            GaugeWithCallback.builder().name("sluice_upstream_in_flight")
                    .help("Requests in flight per upstream server").labelNames("upstream", "server")
                    .callback(callback -> upstreams.forEach(u -> callback.call(u.state[0], u.labels)))
                    .register(registry);
            GaugeWithCallback.builder().name("sluice_upstream_idle_connections")
                    .help("Idle pooled connections per upstream server (all loops)").labelNames("upstream", "server")
                    .callback(callback -> upstreams.forEach(u -> callback.call(u.state[1], u.labels)))
                    .register(registry);
            GaugeWithCallback.builder().name("sluice_upstream_healthy")
                    .help("1 when the upstream server is healthy (or not checked), 0 when marked down")
                    .labelNames("upstream", "server")
                    .callback(callback -> upstreams.forEach(u -> callback.call(u.state[2], u.labels)))
                    .register(registry);
            reloads.initLabelValues("success");
            reloads.initLabelValues("failure");
        }

        void location(String server, String location, int status, long nanos, long in, long out) {
            for (String statusClass : List.of("1xx", "2xx", "3xx", "4xx", "5xx")) {
                requests.labelValues(server, location, statusClass);
            }
            requests.labelValues(server, location, (status / 100) + "xx").inc();
            duration.labelValues(server, location).observe(nanos / 1e9);
            bytesIn.labelValues(server, location).inc(in);
            bytesOut.labelValues(server, location).inc(out);
        }

        void listener(String address) {
            listeners.add(address);
            connectionsTotal.labelValues(address);
            tlsHandshakes.labelValues(address, "success");
            tlsHandshakes.labelValues(address, "failure");
        }

        void upstream(String upstream, String server) {
            upstreams.add(new UpstreamServer(upstream, server));
            for (String statusClass : List.of("1xx", "2xx", "3xx", "4xx", "5xx")) {
                upstreamRequests.labelValues(upstream, server, statusClass);
            }
            upstreamLatency.labelValues(upstream, server);
        }

        void gauge(String name, String help, double value) {
            GaugeWithCallback.builder().name(name).help(help).callback(callback -> callback.call(value)).register(registry);
        }

        void counter(String name, String help, double value) {
            CounterWithCallback.builder().name(name).help(help).callback(callback -> callback.call(value)).register(registry);
        }

        String text() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
            return out.toString(UTF_8);
        }
    }
}
