package io.sluice.accesslog;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The disk under the access log stalls for 2 s on every write. If the event loops waited for it, 400
 * requests would need minutes (a handful of lines per stall); they must finish at network speed, with the
 * lines that did not fit in the queue dropped and counted.
 */
class SlowDiskAccessLogIT {
    private static final long STALL_MILLIS = 2000;
    private static final int QUEUE = 8;
    private static final int THREADS = 4;
    private static final int REQUESTS_PER_THREAD = 100;

    /** A real file whose writes each take {@link #STALL_MILLIS}, like a saturated or failing disk. */
    private static OutputStream stallingFile(Path path) throws IOException {
        Files.createDirectories(path.getParent());
        return new FilterOutputStream(Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                try {
                    Thread.sleep(STALL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.write(bytes, offset, length);
            }
        };
    }

    @Test
    void requestsDoNotWaitForTheDiskAndDropsAreCounted() throws Exception {
        AccessLogWriter writer = new AccessLogWriter(QUEUE, SlowDiskAccessLogIT::stallingFile);
        try (OperatedSluice sluice = OperatedSluice.start("""
                sluice {
                  workers = 2
                  admin { listen = "127.0.0.1:0" }
                  access-log { path = "logs/access.log", format = combined }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { status = 200, body = "ok" } } ] } ]
                }""", writer)) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            ExecutorService threads = Executors.newFixedThreadPool(THREADS);
            long start = System.nanoTime();
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(threads.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < REQUESTS_PER_THREAD; i++) {
                        HttpResponse<String> response = client.send(HttpRequest.newBuilder(sluice.uri("/r" + i))
                                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                        ok += response.statusCode() == 200 ? 1 : 0;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> result : results) {
                ok += result.get();
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            threads.shutdown();
            int total = THREADS * REQUESTS_PER_THREAD;
            assertEquals(total, ok);
            long blockedEstimateMillis = total / (QUEUE + 1) * STALL_MILLIS;
            assertTrue(elapsedMillis < blockedEstimateMillis / 3,
                    total + " requests took " + elapsedMillis + " ms; waiting for the disk would take about " + blockedEstimateMillis + " ms");
            assertTrue(writer.dropped() > total / 2, "dropped " + writer.dropped() + " of " + total);

            System.out.printf("stalling disk: %d requests in %d ms, %d log lines dropped, %d written%n", total,
                    elapsedMillis, writer.dropped(), writer.written());
            String metrics = sluice.get(sluice.adminUri("/metrics")).body();
            assertTrue(metrics.lines().anyMatch(line -> line.startsWith("sluice_access_log_dropped_total ")
                    && Double.parseDouble(line.substring(line.indexOf(' ') + 1)) > total / 2.0), metrics);
        }
    }
}
