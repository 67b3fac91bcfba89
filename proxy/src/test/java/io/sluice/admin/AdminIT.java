package io.sluice.admin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.sluice.metrics.UpstreamMetrics;
import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminIT {
    private static final String CONFIG = """
            sluice {
              workers = 2
              drain-delay = 1500ms
              admin { listen = "127.0.0.1:0" }
              access-log { format = off }
              upstreams { app { servers = [ { address = "127.0.0.1:9001" }, { address = "127.0.0.1:9002", backup = true } ] } }
              servers = [
                { listen = [ "127.0.0.1:0" ], server-names = [ "example.com", "*.example.com" ], locations = [
                    { match = "= /exact", return { status = 200, body = "exact" } }
                    { match = "/api/", proxy { upstream = app } }
                    { match = "^~ /static/", return { status = 200, body = "static" } }
                    { match = "~ \\\\.php$", return { status = 403, body = "" } }
                    { match = "/", return { status = 200, body = "root" } }
                ] }
                { listen = [ "127.0.0.1:0" ], server-names = [ "other.test" ], locations = [
                    { match = "/only/", return { status = 200, body = "other" } }
                ] }
              ]
            }""";

    private static Config json(String text) {
        return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    private static Config explain(OperatedSluice sluice, String host, String path) throws Exception {
        HttpResponse<String> response = sluice.get(sluice.adminUri("/explain?method=GET&host=" + host + "&path="
                + URLEncoder.encode(path, StandardCharsets.UTF_8)));
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body());
    }

    @Test
    void healthReadinessAndErrors() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG)) {
            HttpResponse<String> health = sluice.get(sluice.adminUri("/healthz"));
            assertEquals(200, health.statusCode());
            assertEquals("ok\n", health.body());
            HttpResponse<String> ready = sluice.get(sluice.adminUri("/readyz"));
            assertEquals(200, ready.statusCode());
            assertTrue(json(ready.body()).getBoolean("ready"));
            assertEquals(404, sluice.get(sluice.adminUri("/nope")).statusCode());
            HttpResponse<String> getReload = sluice.get(sluice.adminUri("/reload"));
            assertEquals(405, getReload.statusCode());
            assertEquals("POST", getReload.headers().firstValue("allow").orElseThrow());
            assertEquals(405, sluice.post(sluice.adminUri("/metrics")).statusCode());
        }
    }

    @Test
    void readinessCanRequireAHealthyServerInEveryUpstream() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG.replace("drain-delay = 1500ms",
                "drain-delay = 1500ms\n  readiness { require-healthy-upstreams = true }"))) {
            assertEquals(200, sluice.get(sluice.adminUri("/readyz")).statusCode(), "servers not yet checked count as healthy");
            sluice.server().metrics().upstream("app", "127.0.0.1:9001").health(UpstreamMetrics.Health.DOWN);
            assertEquals(200, sluice.get(sluice.adminUri("/readyz")).statusCode(), "the backup server is still up");
            sluice.server().metrics().upstream("app", "127.0.0.1:9002").health(UpstreamMetrics.Health.DOWN);
            HttpResponse<String> notReady = sluice.get(sluice.adminUri("/readyz"));
            assertEquals(503, notReady.statusCode());
            assertEquals("upstream app has no healthy server", json(notReady.body()).getString("reason"));
            sluice.server().metrics().upstream("app", "127.0.0.1:9001").health(UpstreamMetrics.Health.UP);
            assertEquals(200, sluice.get(sluice.adminUri("/readyz")).statusCode());
        }
    }

    @Test
    void explainNamesServerLocationRulesAndAction() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG)) {
            Config api = explain(sluice, "www.example.com", "/api/users");
            assertEquals("servers[0]", api.getString("server.block"));
            assertTrue(api.getString("server.why").contains("*.example.com"), api.getString("server.why"));
            assertEquals("/api/", api.getString("location.match"));
            assertEquals("proxy", api.getString("action.type"));
            assertEquals("app", api.getString("action.upstream"));
            assertEquals(List.of("127.0.0.1:9001", "127.0.0.1:9002"),
                    api.getConfigList("action.servers").stream().map(s -> s.getString("address")).toList());
            assertEquals("round-robin", api.getString("action.balance"));
            assertEquals("127.0.0.1:9001", api.getString("action.pick_now"), "the primary, not the backup");
            List<String> results = api.getConfigList("tried").stream()
                    .map(rule -> rule.getString("location") + ": " + rule.getString("result")).toList();
            assertTrue(results.contains("= /exact: no match"), results.toString());
            assertTrue(results.contains("/api/: longest matching prefix, remembered"), results.toString());
            assertTrue(results.contains("~ \\.php$: no match"), results.toString());

            Config php = explain(sluice, "example.com", "/api/x.php");
            assertEquals("~ \\.php$", php.getString("location.match"));
            assertTrue(php.getString("server.why").contains("exact server name"));

            Config noRegex = explain(sluice, "example.com", "/static/x.php");
            assertEquals("^~ /static/", noRegex.getString("location.match"));
            assertTrue(noRegex.getConfigList("tried").stream()
                    .anyMatch(rule -> rule.getString("result").startsWith("skipped")));

            Config other = explain(sluice, "other.test", "/elsewhere");
            assertEquals("servers[1]", other.getString("server.block"));
            assertEquals(404, other.getInt("status"));

            Config fallback = explain(sluice, "unknown.test", "/exact");
            assertTrue(fallback.getString("server.why").contains("default server"));
            assertEquals("return", fallback.getString("action.type"));
            assertEquals(200, fallback.getInt("action.status"));

            assertEquals(400, explain(sluice, "example.com", "/../../etc/passwd").getInt("status"));
            assertEquals(400, sluice.get(sluice.adminUri("/explain?host=example.com")).statusCode());
        }
    }

    @Test
    void shutdownTurnsReadinessOffBeforeListenersClose() throws Exception {
        OperatedSluice sluice = OperatedSluice.start(CONFIG);
        try {
            int port = sluice.port();
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> sluice.server().shutdown());
            HttpResponse<String> readiness = awaitStatus(sluice, 503);
            assertFalse(json(readiness.body()).getBoolean("ready"));
            assertTrue(json(readiness.body()).getString("reason").contains("shutting down"));
            assertEquals(200, sluice.get(sluice.uri("/exact")).statusCode(),
                    "during drain-delay the listeners still take new requests");
            shutdown.get(30, TimeUnit.SECONDS);
            assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(),
                    "after the drain the listener is closed");
        } finally {
            sluice.close();
        }
    }

    private static HttpResponse<String> awaitStatus(OperatedSluice sluice, int status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        HttpResponse<String> response;
        do {
            response = sluice.get(sluice.adminUri("/readyz"));
            if (response.statusCode() == status) {
                return response;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("readyz stayed " + response.statusCode());
    }
}
