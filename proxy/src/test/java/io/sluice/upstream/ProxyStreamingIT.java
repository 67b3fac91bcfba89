package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyStreamingIT {
    private static final long FIFTY_MIB = 50L << 20;
    private static TestBackend backend;
    private static RunningSluice sluice;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend();
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), "",
                "limits { max-body-size = 100m }"));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
    }

    @Test
    void chunkedUploadOf50MiBArrivesByteExact() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(sluice.uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> TestBytes.stream(FIFTY_MIB)))
                .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(TestBytes.sha256(FIFTY_MIB) + " " + FIFTY_MIB, response.body());
    }

    @Test
    void downloadsOf50MiBArriveByteExact() throws Exception {
        String expected = TestBytes.sha256(FIFTY_MIB);
        for (String path : List.of("/download/", "/download-cl/")) {
            HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(sluice.uri(path + FIFTY_MIB)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            MessageDigest digest = TestBackend.sha256();
            long total = 0;
            try (InputStream in = response.body()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, n);
                    total += n;
                }
            }
            assertEquals(FIFTY_MIB, total, path);
            assertEquals(expected, HexFormat.of().formatHex(digest.digest()), path);
        }
    }

    @Test
    void firstBytesOfASlowResponseArriveBeforeTheBackendFinishes() throws Exception {
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(sluice.uri("/slow")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            assertEquals(200, response.statusCode());
            byte[] first = in.readNBytes(6);
            assertEquals("first\n", new String(first, StandardCharsets.US_ASCII));
            assertEquals(1, backend.releaseSlow.getCount(), "backend is still holding the rest");
            backend.releaseSlow.countDown();
            assertEquals("last\n", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aSlowReaderDoesNotMakeTheProxyBufferTheResponse() throws Exception {
        long size = 256L << 20;
        backend.downloadBytesWritten.set(0);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port()));
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /download/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            long read = in.readNBytes(1 << 20).length;
            long written = 0;
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100);
                written = backend.downloadBytesWritten.get();
            }
            // what the backend got rid of is what the client read plus what socket buffers and the proxy hold;
            // the kernel buffers on loopback hold a few MiB, the proxy must hold no more than a read or two
            long inFlight = written - read;
            assertTrue(inFlight < (32L << 20), "bytes between backend and client: " + inFlight);
            assertTrue(written < size, "backend wrote everything while the client read " + read);
            long direct = io.netty.util.internal.PlatformDependent.usedDirectMemory();
            assertTrue(direct < (64L << 20), "direct memory in use: " + direct);
        }
    }

    @Test
    void upstreamConnectionsAreReused() throws Exception {
        int before = backend.connections.get();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int worker = 0; worker < 4; worker++) {
            workers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 100; i++) {
                    try {
                        HttpResponse<String> response = client.send(HttpRequest.newBuilder(sluice.uri("/hello")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertEquals("hello", response.body());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        int opened = backend.connections.get() - before;
        assertTrue(opened <= 16, "400 requests needed " + opened + " upstream connections");
        UpstreamStats stats = sluice.server().upstreamStats().get(0);
        assertEquals("app", stats.upstream());
        assertTrue(stats.requests() >= 400, stats.toString());
        assertTrue(stats.reuseRatio() > 10, stats.toString());
        assertFalse(stats.idleConnections() > 32, stats.toString());
    }
}
