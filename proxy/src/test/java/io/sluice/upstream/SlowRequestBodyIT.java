package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow POST: a body trickled one byte at a time never lets body-timeout fire, but limits.min-receive-rate
 * cuts it off with 408 while clients on the same loop are served; the upstream never gets the whole
 * request. A slower-than-LAN upload above the minimum, and an upload held back by an upstream that does
 * not read, are not cut.
 */
class SlowRequestBodyIT {
    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)");

    /** Bodies of /upload the backend read to the end, by size. */
    private final List<Long> completeUploads = new CopyOnWriteArrayList<>();

    private ScriptedBackend backend(long pauseBeforeReadingMillis) throws IOException {
        return new ScriptedBackend().on("/upload", (request, socket, out) -> {
            Matcher length = CONTENT_LENGTH.matcher(request.head());
            assertTrue(length.find(), "the proxy frames the body with Content-Length: " + request.head());
            long expected = Long.parseLong(length.group(1));
            Thread.sleep(pauseBeforeReadingMillis);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[65536];
            long read = 0;
            while (read < expected) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, expected - read));
                if (n < 0) {
                    return false;
                }
                read += n;
            }
            completeUploads.add(read);
            ScriptedBackend.respond(out, "HTTP/1.1 200 OK\r\nContent-Length: " + Long.toString(read).length()
                    + "\r\n\r\n" + read);
            return true;
        });
    }

    private static String config(ScriptedBackend backend, String limits) {
        return """
                sluice {
                  workers = 1
                  limits { %s }
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app } }
                  ] } ]
                }""".formatted(limits, backend.address());
    }

    @Test
    void tricklingBodyIsCutWith408WhileOthersAreServed() throws Exception {
        try (ScriptedBackend backend = backend(0);
             RunningSluice sluice = RunningSluice.start(config(backend, "body-timeout = 60s, min-receive-rate = 1k"));
             RawHttp trickler = new RawHttp(sluice.port(), 60_000)) {
            trickler.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n");
            long start = System.nanoTime();
            AtomicBoolean cut = new AtomicBoolean();
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 1000 && !cut.get(); i++) {
                        trickler.send("x");
                        Thread.sleep(1000);
                    }
                } catch (IOException | InterruptedException e) {
                    cut.set(true);
                }
            }, "trickler");
            trickle.setDaemon(true);
            trickle.start();

            // meanwhile clients on the same (only) loop are served promptly
            for (int i = 0; i < 3; i++) {
                long requestStart = System.nanoTime();
                try (RawHttp normal = new RawHttp(sluice.port())) {
                    RawHttp.Response response = normal.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                    assertEquals(200, response.status());
                    assertEquals("ok", response.bodyText());
                }
                assertTrue(System.nanoTime() - requestStart < TimeUnit.SECONDS.toNanos(5));
                Thread.sleep(500);
            }

            RawHttp.Response response = trickler.readResponse();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            cut.set(true);
            assertEquals(408, response.status());
            assertTrue(response.head().toLowerCase().contains("connection: close"), response.head());
            assertTrue(trickler.isClosedByServer(), "the connection is closed after the 408");
            assertTrue(seconds < 40, "cut after " + seconds + "s; body-timeout is 60s and each byte comes within 1s");
            trickle.join(5000);

            assertTrue(backend.received.stream().anyMatch(r -> r.path().equals("/upload")),
                    "the head went upstream before the body was judged");
            assertTrue(completeUploads.isEmpty(), "the backend must never see a complete request: " + completeUploads);

            try (RawHttp after = new RawHttp(sluice.port())) {
                assertEquals(200, after.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
        }
    }

    @Test
    void uploadAboveTheMinimumRateSucceeds() throws Exception {
        try (ScriptedBackend backend = backend(0);
             RunningSluice sluice = RunningSluice.start(config(backend, "min-receive-rate = 1k"));
             RawHttp client = new RawHttp(sluice.port(), 60_000)) {
            // 1000 bytes every 250 ms: about 4 KB/s for 8 s, over more than one 5-second window
            int pieces = 32;
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + pieces * 1000 + "\r\n\r\n");
            for (int i = 0; i < pieces; i++) {
                client.send("y".repeat(1000));
                Thread.sleep(250);
            }
            RawHttp.Response response = client.readResponse();
            assertEquals(200, response.status());
            assertEquals(Long.toString(pieces * 1000L), response.bodyText());
            assertEquals(List.of(pieces * 1000L), completeUploads);
        }
    }

    @Test
    void timeTheUpstreamTakesToReadDoesNotCountAgainstTheClient() throws Exception {
        // the backend reads nothing for 8 s: buffers fill, Sluice stops asking for body bytes and the client
        // stalls; over the whole exchange that is under 4 MB/s, but the client sent whenever asked
        long size = 32L << 20;
        try (ScriptedBackend backend = backend(8000);
             RunningSluice sluice = RunningSluice.start(config(backend, "min-receive-rate = 8m, max-body-size = 64m"));
             RawHttp client = new RawHttp(sluice.port(), 60_000)) {
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
            byte[] block = new byte[64 * 1024];
            long start = System.nanoTime();
            for (long sent = 0; sent < size; sent += block.length) {
                client.send(block);
            }
            RawHttp.Response response = client.readResponse();
            assertEquals(200, response.status(), "the upload must not be cut: " + response.head());
            assertEquals(Long.toString(size), response.bodyText());
            assertTrue(System.nanoTime() - start > TimeUnit.SECONDS.toNanos(5), "the upstream held the upload back");
            assertEquals(List.of(size), completeUploads);
            assertFalse(backend.received.isEmpty());
        }
    }
}
