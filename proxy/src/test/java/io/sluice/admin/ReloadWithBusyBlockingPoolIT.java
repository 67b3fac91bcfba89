package io.sluice.admin;

import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reload while every blocking-pool thread is held (a file system that stopped answering, a burst of
 * cache misses on a slow disk). A reload reads its certificates on that pool; waiting for it without a
 * bound held the server's lock for as long as the pool stayed busy: that reload never answered, and every
 * later reload and the SIGTERM drain waited behind it. The reload must fail within a bound, saying why,
 * the running configuration must keep serving, and once the pool is free a reload must work again.
 */
class ReloadWithBusyBlockingPoolIT {
    private static String config(String answer) {
        return """
                sluice {
                  workers = 1
                  blocking-pool { threads = 1, queue = 4 }
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", return { status = 200, body = "%s" } }
                  ] } ]
                }""".formatted(answer);
    }

    @Test
    void aReloadFailsWithinABoundWhileThePoolIsHeldAndWorksOnceItIsFree() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config("A"))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            sluice.server().blockingPool().submit(() -> {
                held.countDown();
                return release.await(60, TimeUnit.SECONDS);
            }, ImmediateEventExecutor.INSTANCE);
            assertTrue(held.await(10, TimeUnit.SECONDS), "the pool's one thread is held");
            HttpClient client = HttpClient.newHttpClient();
            try {
                sluice.rewrite(config("B"));
                long start = System.nanoTime();
                HttpResponse<String> reload = client.send(HttpRequest.newBuilder(sluice.adminUri("/reload"))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(),
                        HttpResponse.BodyHandlers.ofString());
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(422, reload.statusCode(), reload.body());
                assertTrue(reload.body().contains("blocking pool"), reload.body());
                assertTrue(millis < 15_000, "answered after " + millis + " ms");
                assertEquals("A", sluice.get(sluice.uri("/")).body(), "the running configuration keeps serving");
            } finally {
                release.countDown();
            }
            HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
            assertEquals(200, reload.statusCode(), reload.body());
            assertEquals("B", sluice.get(sluice.uri("/")).body());
        }
    }
}
