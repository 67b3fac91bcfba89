package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import io.sluice.testing.WebSocketEcho;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 500 reloads through the admin listener, back to back, alternating two configurations, while a kept-alive
 * HTTP/1.1 client sends requests and a WebSocket tunnel carries messages. No request may fail, each answer
 * must come from one of the two configurations, the tunnel must keep echoing, and after the reloads the
 * process must hold no more descriptors, and Sluice no more threads, than after the first few.
 */
class AdminReloadStormIT {
    private static final int RELOADS = 500;
    private static final int WARM_UP_RELOADS = 20;

    private static String config(String answer, String backend) {
        return """
                sluice {
                  workers = 1
                  access-log { format = off }
                  admin { listen = "127.0.0.1:0" }
                  upstreams { echo { servers = [ { address = "%s" } ], read-timeout = 60s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/ws", proxy { upstream = echo } }
                    { match = "/", return { status = 200, body = "%s" } }
                  ] } ]
                }""".formatted(backend, answer);
    }

    @Test
    void fiveHundredReloadsLoseNoRequestNoTunnelNoDescriptorAndNoThread() throws Exception {
        try (WebSocketEcho echo = new WebSocketEcho();
             OperatedSluice sluice = OperatedSluice.start(config("A", echo.address()))) {
            HttpClient admin = HttpClient.newHttpClient();
            LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + sluice.port() + "/ws"), collector(echoes))
                    .get(5, TimeUnit.SECONDS);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong answered = new AtomicLong();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Thread client = new Thread(() -> {
                try (RawHttp http = new RawHttp(sluice.port(), 10_000)) {
                    while (running.get()) {
                        RawHttp.Response response = http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                        String body = response == null ? null : new String(response.body(), StandardCharsets.US_ASCII);
                        if (response == null || response.status() != 200 || !List.of("A", "B").contains(body)) {
                            failures.add(response == null ? "closed" : response.status() + " " + body);
                            return;
                        }
                        answered.incrementAndGet();
                    }
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            });
            client.start();
            int fdsBefore = 0;
            int threadsBefore = 0;
            for (int i = 0; i < RELOADS; i++) {
                if (i == WARM_UP_RELOADS) {
                    fdsBefore = count("fd");
                    threadsBefore = sluiceThreads();
                }
                sluice.rewrite(config(i % 2 == 0 ? "B" : "A", echo.address()));
                HttpResponse<String> reload = admin.send(HttpRequest.newBuilder(sluice.adminUri("/reload"))
                        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, reload.statusCode(), "reload " + i + ": " + reload.body());
                if (i % 10 == 0) {
                    socket.sendText("message " + i, true).get(5, TimeUnit.SECONDS);
                    assertEquals("message " + i, echoes.poll(5, TimeUnit.SECONDS), "the tunnel echoes after reload " + i);
                }
            }
            running.set(false);
            client.join(15_000);
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);

            assertEquals(List.of(), List.copyOf(failures), "failed requests, after " + answered.get() + " answered");
            assertTrue(answered.get() > 0, "the client ran");
            assertEquals("A", sluice.get(sluice.uri("/")).body(), "the last reload's configuration");
            assertTrue(sluiceThreads() <= threadsBefore, "threads: " + threadsBefore + " after " + WARM_UP_RELOADS
                    + " reloads, " + sluiceThreads() + " after " + RELOADS);
            assertTrue(count("fd") <= fdsBefore, "descriptors: " + fdsBefore + " after " + WARM_UP_RELOADS
                    + " reloads, " + count("fd") + " after " + RELOADS);
            System.out.printf("admin reload storm: %d reloads, %d requests answered, fds %d -> %d, threads %d -> %d%n",
                    RELOADS, answered.get(), fdsBefore, count("fd"), threadsBefore, sluiceThreads());
        }
    }

    private static int count(String directory) {
        try (Stream<Path> entries = Files.list(Path.of("/proc/self", directory))) {
            return (int) entries.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Threads Sluice made (all named {@code sluice-...}): the test JVM's others (compiler threads, the HTTP
     * client's) come and go on their own.
     */
    private static int sluiceThreads() {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return (int) tasks.filter(task -> {
                try {
                    return Files.readString(task.resolve("comm")).startsWith("sluice-");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static WebSocket.Listener collector(LinkedBlockingQueue<String> echoes) {
        return new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    echoes.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        };
    }
}
