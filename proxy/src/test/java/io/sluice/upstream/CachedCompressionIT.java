package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Compression wraps the cache: the cache stores the upstream's identity body once, and each hit is
 * compressed for the client that asked for it.
 */
class CachedCompressionIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TEXT = "a line of compressible text\n".repeat(200);
    private static CountingBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new CountingBackend();
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  access-log { format = off }
                  compression { gzip = true, brotli = false, min-length = 100 }
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app, cache = true } }
                  ] } ]
                }""".formatted(backend.address()));
        backend.answer("/text", CountingBackend.Answer.of(200, TEXT, "Cache-Control", "max-age=60",
                "Content-Type", "text/plain"));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
    }

    private static HttpResponse<byte[]> get(String acceptEncoding) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(sluice.uri("/text")).timeout(Duration.ofSeconds(10))
                .header("Accept-Encoding", acceptEncoding).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String gunzip(byte[] bytes) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void hitsAreCompressedPerClientFromOneIdentityEntry() throws Exception {
        HttpResponse<byte[]> miss = get("gzip");
        HttpResponse<byte[]> hit = get("gzip");
        HttpResponse<byte[]> identity = get("identity");
        assertEquals("MISS", miss.headers().firstValue("x-cache").orElseThrow());
        assertEquals("HIT", hit.headers().firstValue("x-cache").orElseThrow());
        assertEquals("gzip", hit.headers().firstValue("content-encoding").orElseThrow());
        assertEquals(TEXT, gunzip(miss.body()));
        assertEquals(TEXT, gunzip(hit.body()));
        assertEquals("HIT", identity.headers().firstValue("x-cache").orElseThrow());
        assertEquals(TEXT, new String(identity.body(), StandardCharsets.UTF_8));
        assertEquals(1, backend.count("/text"));
    }
}
