package io.sluice.balance;

import io.sluice.metrics.UpstreamMetrics;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalancingIT {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(String upstreamKeys, NamedBackend... backends) {
        StringBuilder servers = new StringBuilder();
        for (NamedBackend backend : backends) {
            servers.append(servers.length() == 0 ? "" : ", ").append("{ address = \"").append(backend.address()).append("\" }");
        }
        return config(upstreamKeys, servers.toString());
    }

    private static String config(String upstreamKeys, String servers) {
        return """
                sluice {
                  workers = 2
                  readiness { require-healthy-upstreams = true }
                  upstreams { app { servers = [ %s ]
                    %s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(servers, upstreamKeys);
    }

    private HttpResponse<String> get(RunningSluice sluice, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void killedBackendFailsNoIdempotentRequest() throws Exception {
        try (NamedBackend a = new NamedBackend("a"); NamedBackend b = new NamedBackend("b"); NamedBackend c = new NamedBackend("c");
             RunningSluice sluice = RunningSluice.start(config("passive-health { max-fails = 1, fail-timeout = 30s }", a, b, c))) {
            for (int i = 0; i < 30; i++) {
                assertEquals(200, get(sluice, "/x").statusCode());
            }
            assertTrue(b.requests.get() > 0, "b served before it was killed");
            b.kill();
            List<String> answeredBy = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                HttpResponse<String> response = get(sluice, "/x");
                assertEquals(200, response.statusCode(), "request " + i + " after the kill");
                answeredBy.add(response.body());
            }
            assertTrue(answeredBy.contains("a") && answeredBy.contains("c") && !answeredBy.contains("b"), answeredBy.toString());
            List<ServerView> view = sluice.server().upstreamStates().get("app");
            assertEquals(List.of("up", "out", "up"), view.stream().map(ServerView::state).toList(), view.toString());
            assertEquals(b.address(), view.get(1).server());
            assertEquals(0, view.stream().mapToInt(ServerView::inFlight).sum(), "every attempt ended: " + view);
        }
    }

    @Test
    void everyServerOutIsAFast503() throws Exception {
        NamedBackend gone = new NamedBackend("gone");
        NamedBackend alsoGone = new NamedBackend("also-gone");
        gone.kill();
        alsoGone.kill();
        try (gone; alsoGone; RunningSluice sluice = RunningSluice.start(config(
                "retries = 0, passive-health { max-fails = 1, fail-timeout = 30s }", gone, alsoGone))) {
            assertEquals(502, get(sluice, "/x").statusCode(), "the failure that takes the first server out");
            assertEquals(502, get(sluice, "/x").statusCode(), "the failure that takes the second server out");
            assertEquals(503, get(sluice, "/x").statusCode());
        }
    }

    @Test
    void aSoleServerIsNeverTakenOutByPassiveHealth() throws Exception {
        NamedBackend gone = new NamedBackend("gone");
        gone.kill();
        try (gone; RunningSluice sluice = RunningSluice.start(config(
                "retries = 0, passive-health { max-fails = 1, fail-timeout = 30s }", gone))) {
            assertEquals(502, get(sluice, "/x").statusCode());
            assertEquals(502, get(sluice, "/x").statusCode(), "still tried: there is nowhere else to send it");
            gone.restart();
            assertEquals("gone", get(sluice, "/x").body(), "served again as soon as it is back");
        }
    }

    @Test
    void backupServesOnlyWhilePrimariesAreDown() throws Exception {
        try (NamedBackend primary = new NamedBackend("primary"); NamedBackend backup = new NamedBackend("backup")) {
            String servers = "{ address = \"" + primary.address() + "\" }, { address = \"" + backup.address() + "\", backup = true }";
            try (RunningSluice sluice = RunningSluice.start(config(
                    "passive-health { max-fails = 1, fail-timeout = 1s }", servers))) {
                for (int i = 0; i < 10; i++) {
                    assertEquals("primary", get(sluice, "/x").body());
                }
                assertEquals(0, backup.requests.get());
                primary.kill();
                for (int i = 0; i < 10; i++) {
                    assertEquals("backup", get(sluice, "/x").body());
                }
                primary.restart();
                Eventually.await("the primary to be tried again after fail-timeout", Duration.ofSeconds(10),
                        () -> bodyOf(sluice).equals("primary"));
                int backupServed = backup.requests.get();
                for (int i = 0; i < 10; i++) {
                    assertEquals("primary", get(sluice, "/x").body());
                }
                assertEquals(backupServed, backup.requests.get(), "the backup rests once the primary is back");
            }
        }
    }

    private String bodyOf(RunningSluice sluice) {
        try {
            return get(sluice, "/x").body();
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void leastConnSendsNewRequestsAwayFromSlowInFlightOnes() throws Exception {
        try (NamedBackend a = new NamedBackend("a"); NamedBackend b = new NamedBackend("b");
             RunningSluice sluice = RunningSluice.start(config("balance = least-conn", a, b))) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
            Eventually.await("the slow request to reach a backend", Duration.ofSeconds(10),
                    () -> a.requests.get() + b.requests.get() == 1);
            NamedBackend busy = a.requests.get() == 1 ? a : b;
            NamedBackend idle = busy == a ? b : a;
            for (int i = 0; i < 10; i++) {
                assertEquals(idle.name, get(sluice, "/fast").body(), "request " + i);
            }
            busy.releaseSlow.countDown();
            assertEquals(busy.name, slow.get().body());
        }
    }

    @Test
    void saturatedServersQueueThenAnswer503WhenTheQueueIsFull() throws Exception {
        try (NamedBackend a = new NamedBackend("a");
             RunningSluice sluice = RunningSluice.start(config("max-connections = 1, queue { size = 1, timeout = 20s }", a))) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
            Eventually.await("the slow request to reach the backend", Duration.ofSeconds(10), () -> a.requests.get() == 1);
            CompletableFuture<HttpResponse<String>> second = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/second")).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> third = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/third")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<?> refused = (HttpResponse<?>) CompletableFuture.anyOf(second, third).get();
            assertEquals(503, refused.statusCode(), "one waits in the queue of size 1, the other is refused");
            assertEquals(1, a.requests.get(), "neither the queued nor the refused request reached the backend");
            a.releaseSlow.countDown();
            assertEquals(200, slow.get().statusCode());
            HttpResponse<String> queued = refused == second.getNow(null) ? third.get() : second.get();
            assertEquals(200, queued.statusCode());
            assertEquals("a", queued.body());
            assertEquals(2, a.requests.get());
        }
    }

    @Test
    void aQueuedRequestGets503AfterTheQueueTimeout() throws Exception {
        try (NamedBackend a = new NamedBackend("a");
             RunningSluice sluice = RunningSluice.start(config("max-connections = 1, queue { size = 5, timeout = 300ms }", a))) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/slow")).build(), HttpResponse.BodyHandlers.ofString());
            Eventually.await("the slow request to reach the backend", Duration.ofSeconds(10), () -> a.requests.get() == 1);
            assertEquals(503, get(sluice, "/waits").statusCode());
            a.releaseSlow.countDown();
            assertEquals(200, slow.get().statusCode());
            assertEquals(200, get(sluice, "/after").statusCode(), "the slot is free again");
        }
    }

    @Test
    void activeChecksTakeAServerOutWithinFallIntervalsAndBackWithinRise() throws Exception {
        try (NamedBackend a = new NamedBackend("a"); NamedBackend b = new NamedBackend("b");
             RunningSluice sluice = RunningSluice.start(config("""
                     health-check { path = "/healthz", interval = 300ms, timeout = 500ms, rise = 2, fall = 3,
                       expect-status = [200, 204], jitter = 0% }""", a, b))) {
            UpstreamMetrics bHealth = sluice.server().metrics().upstream("app", b.address());
            Eventually.await("the first check of b", Duration.ofSeconds(5), () -> bHealth.health() == UpstreamMetrics.Health.UP);
            b.healthStatus.set(503);
            long failing = System.nanoTime();
            Eventually.await("b marked down", Duration.ofSeconds(5), () -> bHealth.health() == UpstreamMetrics.Health.DOWN);
            long downAfterMillis = (System.nanoTime() - failing) / 1_000_000;
            assertTrue(downAfterMillis < 3 * 300 + 1500, "down after " + downAfterMillis + "ms");
            int before = b.requests.get();
            for (int i = 0; i < 20; i++) {
                assertEquals("a", get(sluice, "/x").body());
            }
            assertEquals(before, b.requests.get());
            assertEquals("down", sluice.server().upstreamStates().get("app").get(1).state());
            assertTrue(sluice.server().readiness().ready(), "a is still healthy");
            b.healthStatus.set(204);
            long passing = System.nanoTime();
            Eventually.await("b up again", Duration.ofSeconds(5), () -> bHealth.health() == UpstreamMetrics.Health.UP);
            long upAfterMillis = (System.nanoTime() - passing) / 1_000_000;
            assertTrue(upAfterMillis < 2 * 300 + 1500, "up after " + upAfterMillis + "ms");
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                bodies.add(get(sluice, "/x").body());
            }
            assertTrue(bodies.contains("b"), bodies.toString());
            a.healthStatus.set(500);
            b.healthStatus.set(500);
            Eventually.await("readiness to follow the checks", Duration.ofSeconds(10), () -> !sluice.server().readiness().ready());
            assertEquals(503, get(sluice, "/x").statusCode(), "every server is marked down");
        }
    }
}
