package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eight client threads send requests for ten seconds while the configuration is reloaded twenty times
 * through the admin listener, alternating two valid files, with an invalid one in between. No request
 * may fail, the answers must switch with the configuration, the invalid file must be refused with its
 * precise problem while the previous configuration keeps serving, and a listen address that only the
 * second configuration has must be bound and released as it comes and goes.
 */
class ReloadUnderLoadIT {
    private static final int THREADS = 8;
    private static final long LOAD_MILLIS = 10_000;
    private static final int RELOADS = 20;

    private static String config(String answer, boolean extraListener) {
        return """
                sluice {
                  workers = 2
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:0" %s ], locations = [
                    { match = "/", return { status = 200, body = "%s" } }
                  ] } ]
                }""".formatted(extraListener ? ", \"127.0.0.2:0\"" : "", answer);
    }

    private static final String INVALID = """
            sluice {
              workers = 2
              admin { listen = "127.0.0.1:0" }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                { match = "/", retrun { status = 200 } }
              ] } ]
            }""";

    @Test
    void noRequestFailsWhileTheConfigurationChanges() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config("A", false))) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI uri = sluice.uri("/load");
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong requests = new AtomicLong();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
            ExecutorService threads = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> load = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                load.add(threads.submit(() -> {
                    while (running.get()) {
                        try {
                            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri)
                                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                            requests.incrementAndGet();
                            if (response.statusCode() != 200) {
                                failures.add("status " + response.statusCode());
                            }
                            answers.computeIfAbsent(response.body(), key -> new AtomicLong()).incrementAndGet();
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }

            long start = System.nanoTime();
            long pause = LOAD_MILLIS / (RELOADS + 1);
            int succeeded = 0;
            int refused = 0;
            for (int i = 0; i < RELOADS; i++) {
                Thread.sleep(pause);
                boolean invalid = i % 7 == 3;
                boolean second = i % 2 == 0;
                sluice.rewrite(invalid ? INVALID : config(second ? "B" : "A", second));
                HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
                if (invalid) {
                    refused++;
                    assertEquals(422, reload.statusCode(), reload.body());
                    assertTrue(reload.body().contains("sluice.conf:5: servers[0].locations[0].retrun: unknown key"), reload.body());
                    assertTrue(sluice.get(sluice.adminUri("/status.json")).body().contains("retrun"),
                            "the status page reports the failed reload");
                    continue;
                }
                succeeded++;
                assertEquals(200, reload.statusCode(), reload.body());
                String expected = second ? "B" : "A";
                assertEquals(expected, sluice.get(uri).body(), "reload " + i + " switches the route");
                Integer extra = sluice.server().boundPorts().get("127.0.0.2:0");
                if (second) {
                    assertEquals("B", sluice.get(URI.create("http://127.0.0.2:" + extra + "/")).body(),
                            "the listen address added by the reload answers");
                } else {
                    assertEquals(null, extra, "the listen address removed by the reload is closed");
                }
            }
            while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS)) {
                Thread.sleep(50);
            }
            running.set(false);
            for (Future<?> future : load) {
                future.get(30, TimeUnit.SECONDS);
            }
            threads.shutdown();

            assertEquals(List.of(), List.copyOf(failures), "failed requests out of " + requests.get());
            assertTrue(requests.get() > THREADS, "the load ran: " + requests.get() + " requests");
            assertTrue(answers.get("A").get() > 0 && answers.get("B").get() > 0, "both configurations served: " + answers);
            assertEquals(Map.of("A", 0, "B", 0).keySet(), answers.keySet(), "only the configured answers: " + answers);
            assertEquals(RELOADS, succeeded + refused);
            assertTrue(sluice.server().lastReloadProblems().isEmpty(), "the last, successful reload clears the reported problems");
            String metrics = sluice.get(sluice.adminUri("/metrics")).body();
            assertTrue(metrics.contains("sluice_config_reloads_total{result=\"success\"} " + succeeded + ".0"), metrics);
            assertTrue(metrics.contains("sluice_config_reloads_total{result=\"failure\"} " + refused + ".0"), metrics);
            System.out.printf("reload under load: %d requests, %d reloads applied, %d refused, answers %s%n",
                    requests.get(), succeeded, refused, answers);
        }
    }
}
