package io.sluice.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.util.internal.PlatformDependent;
import io.sluice.testing.ContentDecoding;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compression end to end: a real backend behind a real Sluice, a real client that asks for a coding and
 * decodes what arrived with the reference libraries, compared byte for byte with what the backend sent.
 */
class CompressionIT {
    private static final long TWENTY_MIB = 20L << 20;
    private static final byte[] JSON = json(40_000);
    private static final byte[] SMALL = "short answer".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path site;
    private static HttpServer backend;
    private static ExecutorService backendThreads;
    private static final CountDownLatch releaseSecondEvent = new CountDownLatch(1);
    private static final AtomicLong repeatedBytesWritten = new AtomicLong();
    private static RunningSluice sluice;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        backendThreads = Executors.newCachedThreadPool();
        backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        backend.setExecutor(backendThreads);
        backend.createContext("/", CompressionIT::answer);
        backend.start();
        Files.createDirectories(site.resolve("www"));
        Files.write(site.resolve("www/app.js"), json(60_000));
        Files.write(site.resolve("www/pre.css"), json(5_000));
        Files.write(site.resolve("www/pre.css.gz"), gzip(json(5_000)));
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  compression { gzip = true, brotli = true, zstd = true, min-length = 1k }
                  upstreams { app { servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ {
                    listen = [ { address = "127.0.0.1:0" }, { address = "127.0.0.5:0", http2 = true } ]
                    locations = [
                      { match = "/static/", static { root = "www", precompressed = true } }
                      { match = "/plain/", compression { enabled = false }, proxy { upstream = app } }
                      { match = "/", proxy { upstream = app } }
                    ] } ]
                }""".formatted(backend.getAddress().getPort()), site);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        releaseSecondEvent.countDown();
        sluice.close();
        backend.stop(0);
        backendThreads.shutdownNow();
    }

    @Test
    void proxiedJsonArrivesInTheCodingTheClientPrefers() throws Exception {
        for (String coding : List.of("gzip", "br", "zstd")) {
            HttpResponse<byte[]> response = get("/json", coding);
            assertEquals(200, response.statusCode());
            assertEquals(coding, header(response, "content-encoding"));
            assertEquals("Accept-Encoding", header(response, "vary"));
            assertNull(header(response, "content-length"), "the compressed length is not known up front");
            assertTrue(response.body().length < JSON.length / 4, coding + ": " + response.body().length);
            assertArrayEquals(JSON, ContentDecoding.decode(coding, response.body()), coding);
        }
        assertEquals("br", header(get("/json", "gzip;q=0.8, br;q=0.8, zstd;q=0.5"), "content-encoding"));
        assertEquals("gzip", header(get("/json", "gzip, br;q=0.5, zstd;q=0"), "content-encoding"));
    }

    @Test
    void refusedOrUnaskedCodingsGetTheIdentityBodyWithVary() throws Exception {
        for (String acceptEncoding : new String[] {"gzip;q=0, br;q=0, zstd;q=0", "identity", null}) {
            HttpResponse<byte[]> response = get("/json", acceptEncoding);
            assertNull(header(response, "content-encoding"), acceptEncoding);
            assertEquals("Accept-Encoding", header(response, "vary"));
            assertArrayEquals(JSON, response.body());
        }
    }

    @Test
    void anAlreadyEncodedBodyIsPassedOnAsIs() throws Exception {
        HttpResponse<byte[]> response = get("/encoded", "gzip, br");
        assertEquals("gzip", header(response, "content-encoding"));
        assertArrayEquals(gzip(JSON), response.body());
        assertArrayEquals(JSON, ContentDecoding.decode("gzip", response.body()));
    }

    @Test
    void smallBodiesExcludedTypesAndLocationsWithCompressionOffAreUntouched() throws Exception {
        HttpResponse<byte[]> small = get("/small", "gzip");
        assertNull(header(small, "content-encoding"));
        assertNull(header(small, "vary"));
        assertArrayEquals(SMALL, small.body());
        HttpResponse<byte[]> image = get("/image", "gzip");
        assertNull(header(image, "content-encoding"));
        assertEquals(String.valueOf(JSON.length), header(image, "content-length"));
        HttpResponse<byte[]> off = get("/plain/json", "gzip");
        assertNull(header(off, "content-encoding"));
        assertArrayEquals(JSON, off.body());
    }

    @Test
    void aLargeStreamedBodyIsCompressedOnTheFly() throws Exception {
        String expected = sha256(new TextStream(TWENTY_MIB));
        for (String coding : List.of("gzip", "br")) {
            HttpResponse<InputStream> response = client.send(request("/stream/" + TWENTY_MIB, coding),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(coding, header(response, "content-encoding"));
            CountingStream wire = new CountingStream(response.body());
            try (InputStream decoded = ContentDecoding.decoding(coding, wire)) {
                assertEquals(expected, sha256(decoded), coding);
            }
            assertTrue(wire.count < TWENTY_MIB / 2, coding + " sent " + wire.count + " bytes");
        }
    }

    @Test
    void aSlowReaderHoldsBackTheCompressedStreamAndTheBackend() throws Exception {
        long size = 1L << 30;
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /repeat/" + size + " HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(256), StandardCharsets.ISO_8859_1).toLowerCase();
            assertTrue(head.contains("content-encoding: gzip"), head);
            long written = 0;
            for (int i = 0; i < 30; i++) {
                Thread.sleep(100);
                written = repeatedBytesWritten.get();
            }
            // what the backend got rid of is what fits in the loopback socket buffers (a few MiB each way,
            // several times that before compression), not the gigabyte it has to send
            assertTrue(written < (64L << 20), "backend wrote " + written + " bytes to a client that stopped reading");
            long direct = PlatformDependent.usedDirectMemory();
            assertTrue(direct < (64L << 20), "direct memory in use: " + direct);
        }
    }

    @Test
    void clientsThatLeaveMidStreamLeaveNothingBehind() throws Exception {
        for (String coding : List.of("gzip", "br", "zstd")) {
            try (Socket socket = new Socket("127.0.0.1", sluice.port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET /repeat/" + (1L << 30) + " HTTP/1.1\r\nHost: a\r\nAccept-Encoding: "
                        + coding + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertEquals(16 * 1024, socket.getInputStream().readNBytes(16 * 1024).length);
            }
        }
        assertArrayEquals(JSON, ContentDecoding.decode("zstd", get("/json", "zstd").body()));
    }

    @Test
    void eventsOfAStreamArriveCompressedAsTheyAreSent() throws Exception {
        HttpResponse<InputStream> response = client.send(request("/events", "gzip"),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals("gzip", header(response, "content-encoding"));
        try (InputStream events = ContentDecoding.decoding("gzip", response.body())) {
            byte[] first = events.readNBytes("data: first\n\n".length());
            assertEquals("data: first\n\n", new String(first, StandardCharsets.UTF_8));
            assertEquals(1, releaseSecondEvent.getCount(), "the backend still holds the second event");
            releaseSecondEvent.countDown();
            assertEquals("data: second\n\n", new String(events.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void staticFilesAreCompressedAsBuffersAndRangesAndPrecompressedFilesAreNot() throws Exception {
        byte[] script = Files.readAllBytes(site.resolve("www/app.js"));
        HttpResponse<byte[]> whole = get("/static/app.js", "br");
        assertEquals("br", header(whole, "content-encoding"));
        assertTrue(header(whole, "etag").startsWith("W/\""), header(whole, "etag"));
        assertNull(header(whole, "accept-ranges"));
        assertArrayEquals(script, ContentDecoding.decode("br", whole.body()));
        HttpResponse<byte[]> notModified = client.send(HttpRequest.newBuilder(sluice.uri("/static/app.js"))
                        .header("Accept-Encoding", "br").header("If-None-Match", header(whole, "etag")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(304, notModified.statusCode());
        assertEquals(header(whole, "etag"), header(notModified, "etag"));

        HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(sluice.uri("/static/app.js"))
                        .header("Accept-Encoding", "gzip").header("Range", "bytes=100-199").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, range.statusCode());
        assertNull(header(range, "content-encoding"));
        assertArrayEquals(Arrays.copyOfRange(script, 100, 200), range.body());

        HttpResponse<byte[]> precompressed = get("/static/pre.css", "gzip");
        assertEquals("gzip", header(precompressed, "content-encoding"));
        assertArrayEquals(Files.readAllBytes(site.resolve("www/pre.css.gz")), precompressed.body());

        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(sluice.uri("/static/app.js"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("gzip", header(head, "content-encoding"));
        assertEquals("Accept-Encoding", header(head, "vary"));
        assertEquals(0, head.body().length);
        assertArrayEquals(script, ContentDecoding.decode("gzip", get("/static/app.js", "gzip").body()),
                "the connection is still in step after the HEAD");
    }

    @Test
    void http2ClientsGetCompressedStreams() throws Exception {
        int port = sluice.port("127.0.0.5:0");
        for (String coding : List.of("gzip", "br", "zstd")) {
            Path headers = site.resolve("h2-" + coding + ".head");
            Path body = site.resolve("h2-" + coding + ".body");
            Process curl = new ProcessBuilder("curl", "-s", "--max-time", "20", "--http2-prior-knowledge",
                    "-H", "Accept-Encoding: " + coding, "-D", headers.toString(), "-o", body.toString(),
                    "-w", "%{http_version}", "http://127.0.0.5:" + port + "/json").redirectErrorStream(true).start();
            String version = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
            assertEquals("2", version);
            String head = Files.readString(headers).toLowerCase();
            assertTrue(head.contains("content-encoding: " + coding + "\r\n"), head);
            assertTrue(head.contains("vary: accept-encoding\r\n"), head);
            assertArrayEquals(JSON, ContentDecoding.decode(coding, Files.readAllBytes(body)), coding);
        }
    }

    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            if (path.startsWith("/stream/")) {
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    new TextStream(Long.parseLong(path.substring("/stream/".length()))).transferTo(out);
                }
                return;
            }
            if (path.startsWith("/repeat/")) {
                byte[] block = new TextStream(64 * 1024).readAllBytes();
                exchange.getResponseHeaders().set("Content-Type", "text/plain");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (long left = Long.parseLong(path.substring("/repeat/".length())); left > 0; left -= block.length) {
                        out.write(block);
                        repeatedBytesWritten.addAndGet(block.length);
                    }
                }
                return;
            }
            if (path.equals("/events")) {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                out.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                try {
                    releaseSecondEvent.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.write("data: second\n\n".getBytes(StandardCharsets.UTF_8));
                out.close();
                return;
            }
            byte[] body = switch (path) {
                case "/small" -> SMALL;
                case "/encoded" -> gzip(JSON);
                default -> JSON;
            };
            exchange.getResponseHeaders().set("Content-Type", switch (path) {
                case "/small" -> "text/plain";
                case "/image" -> "image/png";
                default -> "application/json";
            });
            if (path.equals("/encoded")) {
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static HttpResponse<byte[]> get(String path, String acceptEncoding) throws Exception {
        return client.send(request(path, acceptEncoding), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpRequest request(String path, String acceptEncoding) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(sluice.uri(path));
        if (acceptEncoding != null) {
            builder.header("Accept-Encoding", acceptEncoding);
        }
        return builder.build();
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** JSON-like text of about {@code size} bytes: repetitive the way API answers are. */
    private static byte[] json(int size) {
        StringBuilder text = new StringBuilder("[");
        Random random = new Random(size);
        while (text.length() < size) {
            text.append("{\"id\": ").append(random.nextInt(100_000)).append(", \"name\": \"item-")
                    .append(random.nextInt(1000)).append("\", \"active\": ").append(random.nextBoolean()).append("},\n");
        }
        return text.append("{}]").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(data);
        }
        return out.toByteArray();
    }

    private static String sha256(InputStream in) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[64 * 1024];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** A deterministic stream of log-like text lines, {@code length} bytes long. */
    private static final class TextStream extends InputStream {
        private final Random random = new Random(42);
        private long remaining;
        private byte[] line = new byte[0];
        private int position;

        TextStream(long length) {
            this.remaining = length;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (remaining <= 0) {
                return -1;
            }
            int total = 0;
            while (total < length && remaining > 0) {
                if (position == line.length) {
                    line = ("2026-11-26T12:00:" + random.nextInt(60) + " GET /api/items/" + random.nextInt(5000)
                            + " status=" + (200 + random.nextInt(3)) + " took=" + random.nextInt(900) + "ms\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    position = 0;
                }
                int n = (int) Math.min(Math.min(length - total, line.length - position), remaining);
                System.arraycopy(line, position, buffer, offset + total, n);
                position += n;
                remaining -= n;
                total += n;
            }
            return total;
        }
    }

    /** Counts the bytes that came over the wire. */
    private static final class CountingStream extends InputStream {
        private final InputStream in;
        long count;

        CountingStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
