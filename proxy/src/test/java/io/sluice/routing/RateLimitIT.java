package io.sluice.routing;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.server.ReloadResult;
import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import io.sluice.testing.WebSocketEcho;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RateLimitIT {
    private static final String RATE_CONFIG = """
            sluice {
              workers = 2
              access-log { format = off }
              rate-limit-zones { clients { max-keys = 1000 } }
              servers = [ { listen = [ "127.0.0.1:0" ], server-names = [ "limits.test" ], locations = [
                { match = "/by-header/", return { body = "ok" }
                  rate-limit { zone = "clients", key = "$header:X-Client", rate = 1r/m, burst = 2, nodelay = true } }
                { match = "/by-address/", return { body = "ok" }
                  rate-limit { zone = "clients", key = "$remote_addr$uri", rate = 1r/m, status = 503, nodelay = true } }
                { match = "/by-host/", return { body = "ok" }
                  rate-limit { zone = "clients", key = "$host", rate = 1r/m, nodelay = true } }
                { match = "/", return { body = "free" } }
              ] } ]
            }""";

    private final ExecutorService clients = Executors.newCachedThreadPool();
    private HttpServer backend;
    private final AtomicInteger backendArrivals = new AtomicInteger();
    private final CountDownLatch releaseSlow = new CountDownLatch(1);

    @TempDir
    Path dir;

    @BeforeEach
    void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", exchange -> {
            backendArrivals.incrementAndGet();
            try {
                if (exchange.getRequestURI().getPath().startsWith("/slow")) {
                    releaseSlow.await(20, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "backend".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        backend.start();
    }

    @AfterEach
    void stop() {
        releaseSlow.countDown();
        backend.stop(0);
        clients.shutdownNow();
    }

    private static RawHttp.Response get(RawHttp raw, String path, String client) throws IOException {
        String header = client == null ? "" : "X-Client: " + client + "\r\n";
        return raw.send("GET " + path + " HTTP/1.1\r\nHost: limits.test\r\n" + header + "\r\n").readResponse();
    }

    @Test
    void requestsOverTheRateGet429WithRetryAfterWhileOtherKeysGoOn() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(RATE_CONFIG, dir); RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, get(raw, "/by-header/x", "alice").status(), "request " + (i + 1) + " of the burst");
            }
            RawHttp.Response limited = get(raw, "/by-header/x", "alice");
            assertEquals(429, limited.status());
            int retryAfter = Integer.parseInt(limited.header("retry-after"));
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After: " + retryAfter);
            assertTrue(limited.bodyText().contains("429"));

            assertEquals(200, get(raw, "/by-header/x", "bob").status(), "another key, same connection");
            for (int i = 0; i < 5; i++) {
                assertEquals(200, get(raw, "/by-header/x", null).status(), "no key: not limited");
            }
            assertEquals(200, get(raw, "/other", "alice").status(), "a location without limits");
            assertEquals(429, get(raw, "/by-header/y", "alice").status());
        }
    }

    @Test
    void remoteAddressKeysWithAConfiguredStatus() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(RATE_CONFIG, dir)) {
            try (RawHttp raw = new RawHttp(sluice.port())) {
                assertEquals(200, get(raw, "/by-address/a", null).status());
            }
            try (RawHttp raw = new RawHttp(sluice.port())) {
                RawHttp.Response limited = get(raw, "/by-address/a", null);
                assertEquals(503, limited.status(), "the same address from a new connection");
                assertNotNull(limited.header("retry-after"));
                assertEquals(200, get(raw, "/by-address/b", null).status(), "the key includes the path");
            }
            assertEquals(1, limitedCount(sluice, "/by-address/", "rate", "refused"));
            assertEquals(0, limitedCount(sluice, "/by-header/", "rate", "refused"));
        }
    }

    @Test
    void remoteAddressIsTheAddressAProxyProtocolHeaderNames() throws Exception {
        String config = RATE_CONFIG.replace("listen = [ \"127.0.0.1:0\" ]",
                "listen = [ { address = \"127.0.0.1:0\", proxy-protocol = true } ]");
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            for (int client = 1; client <= 50; client++) {
                String proxied = "PROXY TCP4 203.0.113." + client + " 127.0.0.1 5555 80\r\n";
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    raw.send(proxied);
                    assertEquals(200, get(raw, "/by-address/a", null).status(), "client " + client + " is new");
                    assertEquals(503, get(raw, "/by-address/a", null).status(), "client " + client + " again");
                }
            }
            assertEquals(50, limitedCount(sluice, "/by-address/", "rate", "refused"));
        }
    }

    @Test
    void theStatusPageCountsRefusedRequestsPerLocation() throws Exception {
        String config = RATE_CONFIG.replace("workers = 2", "workers = 2\n  admin { listen = \"127.0.0.1:0\" }");
        try (OperatedSluice sluice = OperatedSluice.start(config); RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < 5; i++) {
                get(raw, "/by-header/x", "ivan");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long limited = -1;
            while (limited != 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                HttpResponse<String> status = sluice.get(sluice.adminUri("/status.json"));
                Config json = ConfigFactory.parseString(status.body(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
                limited = json.getConfigList("locations").stream().filter(row -> row.getString("location").equals("/by-header/"))
                        .mapToLong(row -> row.getLong("limited_total")).sum();
            }
            assertEquals(2, limited, "5 requests, 1 + burst 2 admitted");
        }
    }

    @Test
    void aReloadNamingAnUnknownZoneIsRefusedWithFileAndLine() throws Exception {
        String config = RATE_CONFIG.replace("workers = 2", "workers = 2\n  admin { listen = \"127.0.0.1:0\" }");
        try (OperatedSluice sluice = OperatedSluice.start(config); RawHttp raw = new RawHttp(sluice.port())) {
            sluice.rewrite(config.replace("zone = \"clients\", key = \"$host\"", "zone = \"client\", key = \"$host\""));
            HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
            assertEquals(422, reload.statusCode());
            assertTrue(reload.body().contains("sluice.conf:12: servers[0].locations[2].rate-limit.zone: no zone named"
                    + " \\\"client\\\" in rate-limit-zones (known: clients)"), reload.body());
            assertEquals(200, get(raw, "/by-host/", null).status(), "the running configuration still serves");
            assertEquals(429, get(raw, "/by-host/", null).status(), "with its limits");
        }
    }

    @Test
    void explainShowsALocationsLimits() throws Exception {
        String config = RATE_CONFIG.replace("workers = 2", "workers = 2\n  admin { listen = \"127.0.0.1:0\" }");
        try (OperatedSluice sluice = OperatedSluice.start(config)) {
            HttpResponse<String> answer = sluice.get(sluice.adminUri("/explain?host=limits.test&path=/by-header/a"));
            Config json = ConfigFactory.parseString(answer.body(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
            assertEquals("$header:X-Client", json.getString("limits.rate_limit.key"));
            assertEquals("1r/m", json.getString("limits.rate_limit.rate"));
            assertEquals(2, json.getInt("limits.rate_limit.burst"));
            assertFalse(json.hasPath("limits.limit_conn"));
            Config free = ConfigFactory.parseString(sluice.get(sluice.adminUri("/explain?host=limits.test&path=/x")).body(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
            assertFalse(free.hasPath("limits"));
        }
    }

    @Test
    void leavingHostOutIsNoWayAroundAHostKey() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(RATE_CONFIG, dir)) {
            for (int expected : new int[] {200, 429}) {
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    assertEquals(expected, raw.send("GET /by-host/ HTTP/1.0\r\n\r\n").readResponse().status());
                }
            }
            try (RawHttp raw = new RawHttp(sluice.port())) {
                assertEquals(200, get(raw, "/by-host/", null).status(), "Host: limits.test is another key");
            }
        }
    }

    @Test
    void withoutNodelayTheBurstIsServedAtTheRateAndTheExcessRefused() throws Exception {
        String config = RATE_CONFIG.replace("rate = 1r/m, burst = 2, nodelay = true", "rate = 2r/s, burst = 2");
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            long start = System.nanoTime();
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(clients.submit(() -> {
                    try (RawHttp raw = new RawHttp(sluice.port())) {
                        return get(raw, "/by-header/x", "carol");
                    }
                }));
            }
            int ok = 0;
            int refused = 0;
            for (Future<RawHttp.Response> answer : answers) {
                int status = answer.get(10, TimeUnit.SECONDS).status();
                ok += status == 200 ? 1 : 0;
                refused += status == 429 ? 1 : 0;
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(3, ok, "1 + burst 2");
            assertEquals(1, refused);
            // the third admitted request waits for its turn: 2 intervals of 500 ms
            assertTrue(millis >= 900, "all answered after " + millis + " ms");
            assertEquals(2, limitedCount(sluice, "/by-header/", "rate", "delayed"));
        }
    }

    @Test
    void aDelayedRequestWhoseClientLeavesNeverStarts() throws Exception {
        String config = """
                sluice {
                  workers = 2
                  access-log { format = off }
                  rate-limit-zones { paced { } }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app }, rate-limit { zone = "paced", rate = 1r/s, burst = 5 } }
                  ] } ]
                }""".formatted(backend.getAddress().getPort());
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            // Sluice runs in this JVM, so its clock is this one: the first request was decided after
            // beforeFirst and before firstAnswered, and fixes the turns of the next ones one second apart
            long beforeFirst = System.nanoTime();
            try (RawHttp raw = new RawHttp(sluice.port())) {
                assertEquals(200, get(raw, "/fast", null).status());
            }
            long firstAnswered = System.nanoTime();
            try (RawHttp leaving = new RawHttp(sluice.port())) {
                leaving.send("GET /fast HTTP/1.1\r\nHost: limits.test\r\n\r\n");
                Thread.sleep(200);
            }
            long wouldHaveStarted = firstAnswered + TimeUnit.SECONDS.toNanos(1);
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(wouldHaveStarted - System.nanoTime()) + 300));
            assertEquals(1, backendArrivals.get(), "the held-back request was dropped with its client");
            try (RawHttp raw = new RawHttp(sluice.port())) {
                long start = System.nanoTime();
                assertEquals(200, get(raw, "/fast", null).status());
                long turn = beforeFirst + TimeUnit.SECONDS.toNanos(2);
                assertTrue(System.nanoTime() >= turn, "its place in the rate stays used: the third request waits"
                        + " for the third turn, " + TimeUnit.NANOSECONDS.toMillis(turn - start) + " ms after it was sent");
            }
            assertEquals(2, backendArrivals.get());
        }
    }

    @Test
    void limitConnCountsRequestsInProgressPerKey() throws Exception {
        String config = """
                sluice {
                  workers = 2
                  access-log { format = off }
                  rate-limit-zones { slots { } }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], server-names = [ "limits.test" ], locations = [
                    { match = "/", proxy { upstream = app }
                      limit-conn { zone = "slots", key = "$http_x_client", max = 2 } }
                  ] } ]
                }""".formatted(backend.getAddress().getPort());
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            List<RawHttp> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawHttp raw = new RawHttp(sluice.port());
                    raw.send("GET /slow HTTP/1.1\r\nHost: limits.test\r\nX-Client: dave\r\n\r\n");
                    slow.add(raw);
                }
                awaitArrivals(2);
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    RawHttp.Response refused = get(raw, "/fast", "dave");
                    assertEquals(503, refused.status(), "a third request of dave while two are in progress");
                    assertEquals(null, refused.header("retry-after"));
                    assertEquals(200, get(raw, "/fast", "erin").status(), "another key");
                }
                releaseSlow.countDown();
                for (RawHttp raw : slow) {
                    assertEquals(200, raw.readResponse().status());
                }
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    assertEquals(200, get(raw, "/fast", "dave").status(), "the slots were given back");
                }
                assertEquals(1, limitedCount(sluice, "/", "conn", "refused"));
            } finally {
                for (RawHttp raw : slow) {
                    raw.close();
                }
            }
        }
    }

    @Test
    void aClientThatGoesAwayGivesItsSlotBack() throws Exception {
        String config = """
                sluice {
                  workers = 2
                  access-log { format = off }
                  rate-limit-zones { slots { } }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app }, limit-conn { zone = "slots", key = "$remote_addr", max = 1 } }
                  ] } ]
                }""".formatted(backend.getAddress().getPort());
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            try (RawHttp raw = new RawHttp(sluice.port())) {
                raw.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
                awaitArrivals(1);
                try (RawHttp second = new RawHttp(sluice.port())) {
                    assertEquals(503, get(second, "/fast", null).status());
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int status;
            do {
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    status = get(raw, "/fast", null).status();
                }
            } while (status == 503 && System.nanoTime() < deadline);
            assertEquals(200, status, "the aborted request's slot was released");
        }
    }

    @Test
    void aWebSocketTunnelHoldsItsSlotUntilItCloses() throws Exception {
        try (WebSocketEcho echo = new WebSocketEcho(); RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  access-log { format = off }
                  rate-limit-zones { slots { } }
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app }, limit-conn { zone = "slots", key = "$remote_addr", max = 1 } }
                  ] } ]
                }""".formatted(echo.address()), dir)) {
            HttpClient client = HttpClient.newHttpClient();
            URI uri = URI.create("ws://127.0.0.1:" + sluice.port() + "/ws");
            WebSocket first = client.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            }).get(5, TimeUnit.SECONDS);
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> client.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
                    }).get(5, TimeUnit.SECONDS));
            WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
            assertEquals(503, handshake.getResponse().statusCode(), "a second tunnel while the first is open");

            first.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
            first.abort();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            WebSocket next = null;
            while (next == null && System.nanoTime() < deadline) {
                try {
                    next = client.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
                    }).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException stillHeld) {
                    Thread.sleep(50);
                }
            }
            assertNotNull(next, "the closed tunnel gave its slot back");
            next.abort();
        }
    }

    @Test
    void reloadKeepsAnUnchangedZoneAndRebuildsAChangedOne() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(RATE_CONFIG, dir); RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < 3; i++) {
                get(raw, "/by-header/x", "frank");
            }
            assertEquals(429, get(raw, "/by-header/x", "frank").status());

            String sameZone = RATE_CONFIG.replace("{ match = \"/\", return { body = \"free\" } }",
                    "{ match = \"/\", return { body = \"free again\" } }");
            assertTrue(sluice.server().apply(ConfigLoader.parse(sameZone, dir)).success());
            assertEquals(429, get(raw, "/by-header/x", "frank").status(), "the zone kept frank's history");

            String biggerZone = sameZone.replace("max-keys = 1000", "max-keys = 2000");
            assertTrue(sluice.server().apply(ConfigLoader.parse(biggerZone, dir)).success());
            assertEquals(200, get(raw, "/by-header/x", "frank").status(), "a changed zone starts empty");

            InvalidConfigException unknownZone = assertThrows(InvalidConfigException.class,
                    () -> ConfigLoader.parse(biggerZone.replace("zone = \"clients\", key = \"$header", "zone = \"client\", key = \"$header"), dir));
            assertEquals(List.of("sluice.conf:7: servers[0].locations[0].rate-limit.zone: no zone named \"client\""
                    + " in rate-limit-zones (known: clients)"), unknownZone.problems());
            ReloadResult again = sluice.server().apply(ConfigLoader.parse(biggerZone, dir));
            assertTrue(again.success());
            assertEquals(200, get(raw, "/by-header/x", "frank").status());
            assertEquals(200, get(raw, "/by-header/x", "frank").status());
            assertEquals(429, get(raw, "/by-header/x", "frank").status(), "one request before the reload, two after");
        }
    }

    @Test
    void http2StreamsOfOneConnectionAreLimitedOneByOne() throws Exception {
        String config = RATE_CONFIG.replace("listen = [ \"127.0.0.1:0\" ]",
                "listen = [ { address = \"127.0.0.1:0\", http2 = true } ]");
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            String url = "http://127.0.0.1:" + sluice.port() + "/by-header/x";
            List<String> statuses = curlParallel("grace", url, url, url, url);
            assertEquals(List.of("200", "200", "200", "429"), statuses.stream().sorted().toList());
        }
    }

    @Test
    void http2StreamsInProgressCountAgainstLimitConn() throws Exception {
        String config = """
                sluice {
                  workers = 2
                  access-log { format = off }
                  rate-limit-zones { slots { } }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/", proxy { upstream = app }, limit-conn { zone = "slots", key = "$header:X-Client", max = 2 } }
                  ] } ]
                }""".formatted(backend.getAddress().getPort());
        try (RunningSluice sluice = RunningSluice.start(config, dir)) {
            String url = "http://127.0.0.1:" + sluice.port() + "/slow";
            Future<List<String>> statuses = clients.submit(() -> curlParallel("heidi", url, url, url));
            awaitArrivals(2);
            Thread.sleep(300);
            assertEquals(2, backendArrivals.get(), "the third stream did not reach the backend");
            releaseSlow.countDown();
            assertEquals(List.of("200", "200", "503"), statuses.get(20, TimeUnit.SECONDS).stream().sorted().toList());
            assertEquals(1, limitedCount(sluice, "/", "conn", "refused"));
        }
    }

    /** Requests {@code urls} at once as streams of one h2c connection (curl); their statuses in any order. */
    private List<String> curlParallel(String client, String... urls) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "--no-progress-meter", "--max-time", "15", "--http2-prior-knowledge",
                "--parallel", "--parallel-immediate", "-H", "X-Client: " + client));
        for (String url : urls) {
            command.addAll(List.of("-o", "/dev/null", "-w", "%{http_code}\\n", url));
        }
        Process curl = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(curl.waitFor(20, TimeUnit.SECONDS), "curl finished");
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    private void awaitArrivals(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (backendArrivals.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(count, backendArrivals.get(), "requests that reached the backend");
    }

    /** The value of sluice_limited_requests_total for a location of the limits.test server. */
    private static long limitedCount(RunningSluice sluice, String location, String limit, String result) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sluice.server().metrics().write(out);
        Pattern sample = Pattern.compile("sluice_limited_requests_total\\{([^}]*)} (\\S+)");
        Matcher matcher = sample.matcher(out.toString(StandardCharsets.UTF_8));
        while (matcher.find()) {
            String labels = matcher.group(1);
            if (labels.contains("location=\"" + location + "\"") && labels.contains("limit=\"" + limit + "\"")
                    && labels.contains("result=\"" + result + "\"")) {
                return (long) Double.parseDouble(matcher.group(2));
            }
        }
        return fail("no sluice_limited_requests_total sample for " + location + " " + limit + " " + result);
    }
}
