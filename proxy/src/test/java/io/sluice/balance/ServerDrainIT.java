package io.sluice.balance;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator drains an upstream server through the admin API without a reload: new requests go to the
 * others while the one in flight on it finishes, the drain survives a reload, and undrain brings it back.
 */
class ServerDrainIT {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(NamedBackend a, NamedBackend b, String comment) {
        return """
                sluice {
                  workers = 2
                  admin { listen = "127.0.0.1:0" }
                  # %s
                  upstreams { app { servers = [ { address = "%s" }, { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(comment, a.address(), b.address());
    }

    private String get(OperatedSluice sluice, String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(sluice.uri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    @Test
    void aDrainedServerGetsNoNewRequestsUntilItIsPutBack() throws Exception {
        try (NamedBackend a = new NamedBackend("a"); NamedBackend b = new NamedBackend("b");
             OperatedSluice sluice = OperatedSluice.start(config(a, b, "first"))) {
            for (int i = 0; i < 4; i++) {
                get(sluice, "/warm");
            }
            assertTrue(a.requests.get() > 0 && b.requests.get() > 0, "round-robin uses both");

            CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return get(sluice, "/slow");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (a.requests.get() + b.requests.get() < 5) {
                assertTrue(System.nanoTime() < deadline, "the slow request never reached a backend");
                Thread.sleep(10);
            }

            HttpResponse<String> drained = sluice.post(sluice.adminUri("/upstreams/drain?upstream=app&server=" + a.address()));
            assertEquals(200, drained.statusCode(), drained.body());
            assertTrue(drained.body().contains("\"drain\""), drained.body());
            int before = a.requests.get();
            for (int i = 0; i < 10; i++) {
                assertEquals("b", get(sluice, "/after-drain"));
            }
            assertEquals(before, a.requests.get(), "no new request reaches the drained server");
            assertTrue(sluice.get(sluice.adminUri("/status.json")).body().contains("\"drain\""));

            a.releaseSlow.countDown();
            b.releaseSlow.countDown();
            assertTrue(inFlight.get().equals("a") || inFlight.get().equals("b"), "the request in flight finishes");

            sluice.rewrite(config(a, b, "reloaded"));
            assertEquals(200, sluice.post(sluice.adminUri("/reload")).statusCode());
            for (int i = 0; i < 4; i++) {
                assertEquals("b", get(sluice, "/after-reload"), "the drain outlives a reload that keeps the server");
            }

            assertEquals(200, sluice.post(sluice.adminUri("/upstreams/undrain?upstream=app&server=" + a.address())).statusCode());
            boolean aServes = false;
            for (int i = 0; i < 10 && !aServes; i++) {
                aServes = get(sluice, "/back").equals("a");
            }
            assertTrue(aServes, "the server is back in rotation");
        }
    }

    @Test
    void unknownServersAndMissingParametersAreClearErrors() throws Exception {
        try (NamedBackend a = new NamedBackend("a"); NamedBackend b = new NamedBackend("b");
             OperatedSluice sluice = OperatedSluice.start(config(a, b, "errors"))) {
            get(sluice, "/warm");
            assertEquals(404, sluice.post(sluice.adminUri("/upstreams/drain?upstream=app&server=10.9.9.9:1")).statusCode());
            assertEquals(404, sluice.post(sluice.adminUri("/upstreams/drain?upstream=nope&server=" + a.address())).statusCode());
            assertEquals(400, sluice.post(sluice.adminUri("/upstreams/drain?upstream=app")).statusCode());
            assertEquals(405, sluice.get(sluice.adminUri("/upstreams/drain?upstream=app&server=" + a.address())).statusCode());
        }
    }
}
