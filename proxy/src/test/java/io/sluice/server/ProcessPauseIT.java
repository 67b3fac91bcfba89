package io.sluice.server;

import io.sluice.testing.SluiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole Sluice process held still (SIGSTOP, as a used-up CPU quota or a long collection would hold it): the
 * log says the process was held and for how long, and blames no event loop, because no loop code was at
 * fault; the lag shows in {@code /metrics}; and it serves on when it runs again.
 */
class ProcessPauseIT {
    @TempDir
    Path directory;

    @Test
    void aHeldProcessIsReportedAsSuchAndNotAsAStuckLoop() throws Exception {
        Path output = directory.resolve("sluice.out");
        int admin = freePort();
        try (SluiceProcess sluice = SluiceProcess.start(directory, """
                sluice {
                  workers = 2
                  loop-stall-warning = 500ms
                  admin { listen = "127.0.0.1:%s" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:%%d" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""".formatted(admin), "", ProcessBuilder.Redirect.to(output.toFile()))) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertEquals("ok", get(client, "http://127.0.0.1:" + sluice.port() + "/"));
            Thread.sleep(500);

            signal(sluice.pid(), "STOP");
            Thread.sleep(2_000);
            signal(sluice.pid(), "CONT");

            assertEquals("ok", get(client, "http://127.0.0.1:" + sluice.port() + "/"));
            String log = waitForLine(output, "the whole process was held for");
            int held = Integer.parseInt(log.replaceAll("(?s).*the whole process was held for (\\d+) ms.*", "$1"));
            assertTrue(held >= 1_500 && held < 10_000, "held " + held + " ms: " + log);
            assertFalse(log.contains("has not run its tasks"), "a loop was blamed for the pause:\n" + log);
            String metrics = get(client, "http://127.0.0.1:" + admin + "/metrics");
            assertTrue(metrics.lines().filter(line -> line.startsWith("sluice_event_loop_lag_seconds{"))
                    .allMatch(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) >= 1.5),
                    "every loop's lag shows the pause:\n" + metrics);
            assertTrue(metrics.contains("sluice_event_loop_stalls_total 0"), metrics);
        }
    }

    private static String get(HttpClient client, String uri) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void signal(long pid, String name) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor());
    }

    private static String waitForLine(Path output, String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String log = Files.readString(output);
        while (!log.contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            log = Files.readString(output);
        }
        assertTrue(log.contains(text), "no line with '" + text + "' in:\n" + log);
        return log;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
