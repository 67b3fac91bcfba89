package io.sluice.tls;

import io.netty.util.concurrent.ImmediateEventExecutor;
import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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
 * the running configuration must keep serving, and once the pool is free a reload must work again. A
 * configuration without TLS listeners has no certificate to read and reloads while the pool is held.
 */
class ReloadWithBusyBlockingPoolIT {
    @TempDir
    Path directory;

    /** One server block on a plain listener, and with {@code leaf} on a TLS listener too. */
    private static String config(String answer, TestCertificates.Leaf leaf) {
        String tlsListener = leaf == null ? "" : ", { address = \"127.0.0.2:0\", tls = true }";
        String tls = leaf == null ? "" : "tls { certificates = [ { cert = \"%s\", key = \"%s\" } ], watch-interval = 0s }"
                .formatted(leaf.chain(), leaf.key());
        return """
                sluice {
                  workers = 1
                  blocking-pool { threads = 1, queue = 4 }
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:0" %s ]
                    %s
                    locations = [ { match = "/", return { status = 200, body = "%s" } } ]
                  } ]
                }""".formatted(tlsListener, tls, answer);
    }

    @Test
    void aReloadWithCertificatesFailsWithinABoundWhileThePoolIsHeldAndWorksOnceItIsFree() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        try (OperatedSluice sluice = OperatedSluice.start(config("A", leaf))) {
            CountDownLatch release = new CountDownLatch(1);
            hold(sluice, release);
            try {
                sluice.rewrite(config("B", leaf));
                long start = System.nanoTime();
                HttpResponse<String> reload = reload(sluice);
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

    @Test
    void aReloadWithoutTlsListenersDoesNotWaitForThePool() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config("A", null))) {
            CountDownLatch release = new CountDownLatch(1);
            hold(sluice, release);
            try {
                sluice.rewrite(config("B", null));
                long start = System.nanoTime();
                HttpResponse<String> reload = reload(sluice);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(200, reload.statusCode(), reload.body());
                assertTrue(millis < 4_000, "answered after " + millis + " ms");
                assertEquals("B", sluice.get(sluice.uri("/")).body());
            } finally {
                release.countDown();
            }
        }
    }

    private static void hold(OperatedSluice sluice, CountDownLatch release) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        sluice.server().blockingPool().submit(() -> {
            held.countDown();
            return release.await(60, TimeUnit.SECONDS);
        }, ImmediateEventExecutor.INSTANCE);
        assertTrue(held.await(10, TimeUnit.SECONDS), "the pool's one thread is held");
    }

    private static HttpResponse<String> reload(OperatedSluice sluice) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.adminUri("/reload"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
