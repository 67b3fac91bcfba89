package io.sluice.metrics;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsIT {
    private static final String CONFIG = """
            sluice {
              workers = 2
              admin { listen = "127.0.0.1:0" }
              access-log { format = off }
              upstreams { app { servers = [ { address = "127.0.0.1:9" } ] } }
              servers = [ { listen = [ "127.0.0.1:0" ], server-names = [ "metrics.test" ], locations = [
                { match = "= /ok", return { status = 200, body = "twelve bytes" } }
                { match = "/api/", proxy { upstream = app } }
              ] } ]
            }""";

    @Test
    void countersMoveWithRealRequestsAndTheExpositionIsStrictlyValid() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG)) {
            HttpResponse<String> first = sluice.get(sluice.adminUri("/metrics"));
            assertEquals(200, first.statusCode());
            assertTrue(first.headers().firstValue("content-type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            PrometheusText before = PrometheusText.parse(first.body());
            assertEquals("counter", before.type("sluice_requests_total"));
            assertEquals("histogram", before.type("sluice_request_duration_seconds"));

            for (int i = 0; i < 10; i++) {
                assertEquals(200, sluice.get(sluice.uri("/ok")).statusCode());
            }
            for (int i = 0; i < 3; i++) {
                assertEquals(404, sluice.get(sluice.uri("/nowhere")).statusCode());
            }

            Map<String, String> ok2xx = Map.of("server", "metrics.test", "location", "= /ok", "status", "2xx");
            Map<String, String> unmatched4xx = Map.of("server", "metrics.test", "location", "-", "status", "4xx");
            // an exchange is recorded when its last write completes, which can be just after the client has it
            PrometheusText after = PrometheusText.parse(sluice.get(sluice.adminUri("/metrics")).body());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (after.valueOrZero("sluice_requests_total", unmatched4xx)
                    - before.valueOrZero("sluice_requests_total", unmatched4xx) < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                after = PrometheusText.parse(sluice.get(sluice.adminUri("/metrics")).body());
            }
            assertEquals(10, after.value("sluice_requests_total", ok2xx) - before.valueOrZero("sluice_requests_total", ok2xx));
            assertEquals(3, after.value("sluice_requests_total", unmatched4xx) - before.valueOrZero("sluice_requests_total", unmatched4xx));
            Map<String, String> okLocation = Map.of("server", "metrics.test", "location", "= /ok");
            assertEquals(10, after.value("sluice_request_duration_seconds_count", okLocation));
            assertEquals(120, after.value("sluice_response_body_bytes_total", okLocation));
            assertTrue(after.value("sluice_request_duration_seconds_sum", okLocation) > 0);

            Map<String, String> listener = Map.of("listener", "127.0.0.1:0");
            assertTrue(after.value("sluice_connections_total", listener) >= 1);
            assertTrue(after.value("sluice_connections_active", listener) >= 0);
            assertEquals(0, after.value("sluice_blocking_pool_rejected_total", Map.of()));
            assertEquals(0, after.value("sluice_access_log_dropped_total", Map.of()));
            assertEquals(1, after.value("sluice_config_info", Map.of("hash", sluice.server().config().hash())));
            assertEquals(0, after.value("sluice_config_reloads_total", Map.of("result", "failure")));
            assertEquals(1, after.value("sluice_upstream_healthy", Map.of("upstream", "app", "server", "127.0.0.1:9")));
            assertEquals(0, after.value("sluice_upstream_in_flight", Map.of("upstream", "app", "server", "127.0.0.1:9")));
            assertEquals("gauge", after.type("sluice_event_loop_lag_seconds"));
            // one series per worker loop, named by its thread; an idle test server's loops keep their beat
            List<PrometheusText.Sample> lags = after.samples("sluice_event_loop_lag_seconds");
            assertEquals(2, lags.size(), lags.toString());
            assertTrue(lags.stream().allMatch(lag -> lag.labels().get("loop").startsWith("sluice-worker")
                    && lag.value() >= 0 && lag.value() < 5), lags.toString());
            assertEquals(0, after.value("sluice_event_loop_stalls_total", Map.of()));
        }
    }

    @Test
    void upstreamApiFeedsTheUpstreamFamilies() throws IOException {
        SluiceMetrics metrics = new SluiceMetrics();
        UpstreamMetrics server = metrics.upstream("app", "10.0.0.1:8080");
        server.requestStarted();
        server.requestAnswered(503, 2_000_000);
        server.requestStarted();
        server.requestFailed("connect");
        server.requestStarted();
        server.health(UpstreamMetrics.Health.DOWN);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        PrometheusText text = PrometheusText.parse(out.toString(StandardCharsets.UTF_8));
        Map<String, String> labels = Map.of("upstream", "app", "server", "10.0.0.1:8080");
        assertEquals(1, text.value("sluice_upstream_requests_total", Map.of("upstream", "app", "server", "10.0.0.1:8080", "status", "5xx")));
        assertEquals(1, text.value("sluice_upstream_errors_total", Map.of("upstream", "app", "server", "10.0.0.1:8080", "reason", "connect")));
        assertEquals(1, text.value("sluice_upstream_response_seconds_count", labels));
        assertEquals(1, text.value("sluice_upstream_in_flight", labels));
        assertEquals(0, text.value("sluice_upstream_healthy", labels));
        assertEquals(1, server.failures());
    }
}
