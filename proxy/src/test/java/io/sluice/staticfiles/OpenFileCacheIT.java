package io.sluice.staticfiles;

import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The open-file cache: misses go to the blocking pool, hits do not, entries expire, files change under us. */
class OpenFileCacheIT {
    @TempDir
    Path site;

    @BeforeEach
    void createRoot() throws Exception {
        Files.createDirectories(site.resolve("public"));
    }

    private RunningSluice start(String valid) {
        return start(valid, "auto");
    }

    private RunningSluice start(String valid, String transport) {
        return RunningSluice.start("""
                sluice {
                  workers = 1
                  transport = %1$s
                  blocking-pool { threads = 1 }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "= /healthz", return { status = 200, body = "ok" } }
                    { match = "/listed/", static { root = "public", autoindex = true, open-file-cache { max = 100, valid = %2$s } } }
                    { match = "/", static { root = "public", open-file-cache { max = 100, valid = %2$s } } }
                  ] } ]
                }""".formatted(transport, valid), site);
    }

    /** Occupies the only blocking thread until the returned latch is counted down. */
    private static CountDownLatch blockThePool(RunningSluice sluice) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        sluice.server().blockingPool().submit(() -> {
            running.countDown();
            return release.await(30, TimeUnit.SECONDS);
        }, GlobalEventExecutor.INSTANCE);
        assertTrue(running.await(5, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void missesWaitForTheBlockingPoolWhileTheEventLoopStaysFreeAndHitsNeedNoPool() throws Exception {
        Files.writeString(site.resolve("public/a.txt"), "cached");
        try (RunningSluice sluice = start("30s")) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CountDownLatch release = blockThePool(sluice);
            CompletableFuture<HttpResponse<String>> miss = client.sendAsync(
                    HttpRequest.newBuilder(sluice.uri("/a.txt")).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(sluice.uri("/healthz"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("ok", health.body(), "the only event loop answers while the file look-up waits");
            Thread.sleep(300);
            assertFalse(miss.isDone(), "a cache miss must wait for the (blocked) blocking pool, not stat on the loop");
            release.countDown();
            assertEquals("cached", miss.get(10, TimeUnit.SECONDS).body());

            CountDownLatch releaseAgain = blockThePool(sluice);
            try {
                HttpResponse<String> hit = client.send(HttpRequest.newBuilder(sluice.uri("/a.txt"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals("cached", hit.body(), "a cache hit is served without the blocking pool");
            } finally {
                releaseAgain.countDown();
            }
        }
    }

    /**
     * A file above the in-memory size leaves by a file region; whatever the transport does with it, a complete
     * send must not mark the entry for a fresh look-up (io_uring splices through its own wrapper, whose count
     * the region never sees).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void aLargeFileSentWholeStaysAHitOnEveryTransport(String transport) throws Exception {
        Path file = Downloads.writeRandom(site.resolve("public/large.bin"), 256 * 1024, 3);
        try (RunningSluice sluice = start("1h", transport)) {
            assumeTrue(transport.equals(sluice.server().transportName()), transport + " is not available here");
            try (Downloads.Client client = new Downloads.Client(sluice.port())) {
                assertEquals(Downloads.sha256(file), client.get("/large.bin").sha256());
            }
            CountDownLatch release = blockThePool(sluice);
            try (Downloads.Client client = new Downloads.Client(sluice.port())) {
                CompletableFuture<Downloads.Hashed> hit = CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.get("/large.bin");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                assertEquals(Downloads.sha256(file), hit.get(5, TimeUnit.SECONDS).sha256(),
                        "the second request is a hit, served while the blocking pool is busy");
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aChangedFileIsServedFreshOnceItsEntryExpires() throws Exception {
        Path file = site.resolve("public/v.txt");
        Files.writeString(file, "version-1");
        try (RunningSluice sluice = start("300ms"); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response first = http.send("GET /v.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals("version-1", first.bodyText());
            Files.writeString(file, "version-2");
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            Thread.sleep(500);
            RawHttp.Response second = http.send("GET /v.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals("version-2", second.bodyText());
            assertNotEquals(first.header("etag"), second.header("etag"));
        }
    }

    @Test
    void aSmallFileRewrittenShorterInPlaceIsLookedUpAgainBeforeAnythingIsSent() throws Exception {
        Path file = site.resolve("public/small.txt");
        Files.writeString(file, "0123456789");
        try (RunningSluice sluice = start("1h"); RawHttp http = new RawHttp(sluice.port())) {
            assertEquals("0123456789", http.send("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText());
            Files.writeString(file, "abc");
            RawHttp.Response response = http.send("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, response.status());
            assertEquals("abc", response.bodyText());
        }
    }

    @Test
    void aListedDirectoryReplacedByAFileIsNotFoundAndItsEntryIsDropped() throws Exception {
        Path directory = Files.createDirectories(site.resolve("public/gone"));
        Files.writeString(directory.resolve("x.txt"), "x");
        try (RunningSluice sluice = start("1h"); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response listing = http.send("GET /listed/gone/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, listing.status());
            assertTrue(listing.bodyText().contains("x.txt"), listing.bodyText());
            Files.delete(directory.resolve("x.txt"));
            Files.delete(directory);
            Files.writeString(site.resolve("public/gone"), "now a file");
            assertEquals(404, http.send("GET /listed/gone/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status(),
                    "the directory its entry names is gone");
            RawHttp.Response file = http.send("GET /listed/gone HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, file.status(), "the failed listing dropped the entry: no redirect to the old directory");
            assertEquals("now a file", file.bodyText());
        }
    }

    @Test
    void aFileTruncatedWhileBeingSentEndsThatResponseByClosingTheConnection() throws Exception {
        Path file = Downloads.writeRandom(site.resolve("public/big.bin"), 64L << 20, 9);
        Files.writeString(site.resolve("public/small.txt"), "still fine");
        try (RunningSluice sluice = start("1h"); Socket socket = new Socket("127.0.0.1", sluice.port())) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            long received = in.read(buffer);
            assertTrue(received > 0);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(1 << 20);
            }
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received += n;
            }
            assertTrue(received < (64L << 20), "the connection closed before the promised length: " + received);
            try (Downloads.Client client = new Downloads.Client(sluice.port())) {
                assertEquals(Downloads.sha256(site.resolve("public/small.txt")), client.get("/small.txt").sha256());
                Downloads.Hashed again = client.get("/big.bin");
                assertEquals(1 << 20, again.bodyLength(), "the short send marked the entry: the next request sees the new size");
                assertEquals(Downloads.sha256(file), again.sha256());
            }
        }
    }
}
