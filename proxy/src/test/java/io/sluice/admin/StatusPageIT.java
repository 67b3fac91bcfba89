package io.sluice.admin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens {@code /status} in headless Chromium (Debian's {@code chromium}, installed by {@code .ci/run}) while
 * requests flow, checks that the page rendered the upstream table and refreshed itself from
 * {@code /status.json}, and saves a screenshot to {@code target/status-page.png}. Outside CI the test is
 * skipped when Chromium is not installed; under CI ({@code CI=true}) a missing Chromium fails it.
 */
class StatusPageIT {
    private static final String CONFIG = """
            sluice {
              workers = 2
              admin { listen = "127.0.0.1:0" }
              access-log { format = off }
              upstreams {
                app { servers = [ { address = "10.1.0.11:8080" }, { address = "10.1.0.12:8080", weight = 2 } ] }
                images { servers = [ { address = "https://images.internal:443" }, { address = "10.1.0.30:8080", backup = true } ] }
              }
              servers = [ { listen = [ "127.0.0.1:0" ], server-names = [ "shop.example" ], locations = [
                { match = "= /healthz", return { status = 200, body = "ok" } }
                { match = "/api/", proxy { upstream = app } }
                { match = "/img/", proxy { upstream = images } }
                { match = "/old/", return { status = 301, location = "/new/" } }
                { match = "/broken/", return { status = 503, body = "down for maintenance" } }
                { match = "/", return { status = 200, body = "home" } }
              ] } ]
            }""";

    private static String chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    @Test
    void statusPageRendersTheUpstreamTableAndRefreshes() throws Exception {
        String chromium = chromium();
        if (chromium == null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true but Chromium is not installed (.ci/run installs Debian's chromium package)");
            }
            Assumptions.abort("Chromium is not installed (apt-get install chromium); skipping the status page screenshot test");
        }
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG)) {
            AtomicBoolean running = new AtomicBoolean(true);
            Thread traffic = new Thread(() -> {
                String[] paths = {"/", "/healthz", "/old/x", "/broken/", "/", "/"};
                int i = 0;
                while (running.get()) {
                    try {
                        sluice.get(sluice.uri(paths[i++ % paths.length]));
                        Thread.sleep(5);
                    } catch (IOException e) {
                        return;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "status-page-traffic");
            traffic.start();
            try {
                Thread.sleep(4000);
                Config first = statusJson(sluice);
                Thread.sleep(2100);
                Config second = statusJson(sluice);
                assertNotEquals(first.getLong("now"), second.getLong("now"));
                assertTrue(second.getList("history.requests_per_second").size() > first.getList("history.requests_per_second").size(),
                        "the sparkline history grows");
                assertEquals(4, second.getConfigList("upstreams").size());
                assertEquals(0, second.getLong("event_loops.stalls"));
                assertEquals(sluice.server().config().workers(), second.getObject("event_loops.lag_seconds").size(),
                        "a lag per worker loop");

                String dom = run(chromium, sluice, "--dump-dom");
                assertTrue(dom.contains("10.1.0.11:8080") && dom.contains("10.1.0.12:8080")
                        && dom.contains("https://images.internal:443") && dom.contains("10.1.0.30:8080 (backup)"),
                        "the upstream table lists every configured server: " + dom);
                assertTrue(dom.contains("not checked"), "health shown for servers not yet checked");
                assertTrue(dom.contains("<polyline"), "sparklines drawn");
                Matcher updates = Pattern.compile("data-updates=\"(\\d+)\"").matcher(dom);
                assertTrue(updates.find() && Integer.parseInt(updates.group(1)) >= 2,
                        "the page refreshed itself from /status.json more than once");

                Path screenshot = Path.of("target", "status-page.png").toAbsolutePath();
                Files.deleteIfExists(screenshot);
                run(chromium, sluice, "--screenshot=" + screenshot);
                assertTrue(Files.size(screenshot) > 10_000, "screenshot written: " + screenshot);
            } finally {
                running.set(false);
                traffic.join(10_000);
            }
        }
    }

    private static Config statusJson(OperatedSluice sluice) throws Exception {
        HttpResponse<String> response = sluice.get(sluice.adminUri("/status.json"));
        assertEquals(200, response.statusCode());
        return ConfigFactory.parseString(response.body(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    /** Runs headless Chromium on the status page with a fresh profile; returns what it printed. */
    private static String run(String chromium, OperatedSluice sluice, String action) throws Exception {
        Path profile = Files.createTempDirectory("sluice-chromium");
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile, "--window-size=1280,1060",
                "--virtual-time-budget=6000", action, sluice.adminUri("/status").toString()));
        Path output = Files.createTempFile("chromium", ".out");
        Process process = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectOutput(output.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                throw new AssertionError("chromium did not finish within 90 s");
            }
            return Files.readString(output, StandardCharsets.UTF_8);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(output);
        }
    }
}
