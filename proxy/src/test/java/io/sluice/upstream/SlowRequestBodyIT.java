package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * not read, are not cut. Over HTTP/2 the trickled stream alone gets 408; its connection serves on.
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

    @Test
    void tricklingHttp2StreamGets408AndItsConnectionServesOtherStreams() throws Exception {
        try (ScriptedBackend backend = backend(0);
             RunningSluice sluice = RunningSluice.start("""
                     sluice {
                       workers = 1
                       limits { body-timeout = 60s, min-receive-rate = 1k }
                       upstreams { app { servers = [ { address = "%s" } ] } }
                       servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                         { match = "/", proxy { upstream = app } }
                       ] } ]
                     }""".formatted(backend.address()));
             H2Connection h2 = new H2Connection(sluice.port())) {
            h2.request(1, new DefaultHttp2Headers().method("POST").path("/upload").setInt("content-length", 1000), false);
            long start = System.nanoTime();
            AtomicBoolean cut = new AtomicBoolean();
            Thread trickle = new Thread(() -> {
                try {
                    while (!cut.get() && !h2.statuses.containsKey(1)) {
                        h2.data(1, "x");
                        Thread.sleep(1000);
                    }
                } catch (IOException | InterruptedException e) {
                    cut.set(true);
                }
            }, "h2-trickler");
            trickle.setDaemon(true);
            trickle.start();

            Thread.sleep(2000);
            h2.request(3, new DefaultHttp2Headers().method("GET").path("/ok"), true);
            assertEquals("200", h2.awaitStatus(3, 10), "another stream on the same connection is served meanwhile");
            assertFalse(h2.statuses.containsKey(1), "the trickled stream is still running");

            assertEquals("408", h2.awaitStatus(1, 40));
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            cut.set(true);
            trickle.join(5000);
            assertTrue(seconds < 40, "cut after " + seconds + "s; body-timeout is 60s");
            assertTrue(completeUploads.isEmpty(), "the backend must never see a complete request: " + completeUploads);

            h2.request(5, new DefaultHttp2Headers().method("GET").path("/ok"), true);
            assertEquals("200", h2.awaitStatus(5, 10), "the connection lives on after the stream's 408");
        }
    }

    /**
     * A hand-driven h2c connection with prior knowledge: requests and DATA frames are written as the test
     * says; a reader thread decodes the response heads and records each stream's status.
     */
    private static final class H2Connection implements AutoCloseable {
        final Map<Integer, String> statuses = new ConcurrentHashMap<>();
        private final Socket socket;
        private final OutputStream out;
        private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
        private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(true);

        H2Connection(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            write(RawHttp2.frame(0x4, 0, 0, new byte[0]));
            Thread reader = new Thread(this::readFrames, "h2-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void request(int stream, Http2Headers headers, boolean endStream) throws IOException, Http2Exception {
            headers.scheme("http").authority("localhost");
            ByteBuf block = Unpooled.buffer();
            try {
                encoder.encodeHeaders(stream, headers, block);
                write(RawHttp2.frame(0x1, endStream ? 0x5 : 0x4, stream, ByteBufUtil.getBytes(block)));
            } finally {
                block.release();
            }
        }

        void data(int stream, String text) throws IOException {
            write(RawHttp2.frame(0x0, 0, stream, text.getBytes(StandardCharsets.US_ASCII)));
        }

        String awaitStatus(int stream, int seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!statuses.containsKey(stream) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            return statuses.get(stream);
        }

        private synchronized void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        private void readFrames() {
            try {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                while (true) {
                    int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    int flags = in.readUnsignedByte();
                    int stream = in.readInt() & 0x7fffffff;
                    byte[] payload = in.readNBytes(length);
                    if (type == 0x4 && (flags & 0x1) == 0) {
                        write(RawHttp2.frame(0x4, 0x1, 0, new byte[0]));
                    } else if (type == 0x1) {
                        ByteBuf block = Unpooled.wrappedBuffer(payload);
                        try {
                            CharSequence status = decoder.decodeHeaders(stream, block).status();
                            statuses.putIfAbsent(stream, String.valueOf(status));
                        } finally {
                            block.release();
                        }
                    }
                }
            } catch (IOException | Http2Exception e) {
                // the connection ended; the test's assertions report what was missing
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
