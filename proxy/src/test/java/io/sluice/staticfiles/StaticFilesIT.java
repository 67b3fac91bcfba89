package io.sluice.staticfiles;

import io.netty.handler.codec.DateFormatter;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole-file responses over real sockets: exact bytes, headers, methods, keep-alive, many clients. */
class StaticFilesIT {
    private static final long FIFTY_MIB = 50L << 20;

    @TempDir
    static Path site;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        Downloads.writeRandom(root.resolve("empty.bin"), 0, 1);
        Downloads.writeRandom(root.resolve("one.bin"), 1, 2);
        Downloads.writeRandom(root.resolve("kib.bin"), 1024, 3);
        Downloads.writeRandom(root.resolve("hundred.bin"), 100 * 1024, 4);
        Downloads.writeRandom(root.resolve("fifty.bin"), FIFTY_MIB, 5);
        Files.writeString(root.resolve("page.html"), "<h1>hello</h1>\n");
        Files.writeString(root.resolve("style.css"), "body{}\n");
        Files.writeString(root.resolve("data.custom"), "custom\n");
        Files.write(root.resolve("pixel.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Files.writeString(root.resolve("unknown.qqq"), "?");
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/static/", static {
                        root = "public"
                        cache-control = "public, max-age=3600"
                        mime-types { custom = "text/x-custom", ".QQQ" = "application/x-qqq" }
                    } }
                  ] } ]
                }""", site);
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @Test
    void bodiesAreByteExactForEverySize() throws Exception {
        try (Downloads.Client client = new Downloads.Client(sluice.port())) {
            for (String name : List.of("empty.bin", "one.bin", "kib.bin", "hundred.bin", "fifty.bin")) {
                Path file = site.resolve("public").resolve(name);
                Downloads.Hashed response = client.get("/static/" + name);
                assertEquals(200, response.status(), name);
                assertEquals(Files.size(file), response.bodyLength(), name);
                assertEquals(Downloads.sha256(file), response.sha256(), name);
                assertEquals("application/octet-stream", response.header("content-type"));
            }
        }
    }

    @Test
    void fiftyParallelClientsGetTheLargeFileExactly() throws Exception {
        String expected = Downloads.sha256(site.resolve("public/fifty.bin"));
        ExecutorService clients = Executors.newFixedThreadPool(50);
        try {
            List<Future<Downloads.Hashed>> downloads = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                downloads.add(clients.submit(() -> {
                    try (Downloads.Client client = new Downloads.Client(sluice.port())) {
                        return client.get("/static/fifty.bin");
                    }
                }));
            }
            for (Future<Downloads.Hashed> download : downloads) {
                Downloads.Hashed response = download.get(120, TimeUnit.SECONDS);
                assertEquals(200, response.status());
                assertEquals(FIFTY_MIB, response.bodyLength());
                assertEquals(expected, response.sha256());
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void headersDescribeTheFile() throws Exception {
        Path page = site.resolve("public/page.html");
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET /static/page.html HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, response.status());
            assertEquals("<h1>hello</h1>\n", response.bodyText());
            assertEquals("text/html; charset=utf-8", response.header("content-type"));
            assertEquals("15", response.header("content-length"));
            assertEquals("public, max-age=3600", response.header("cache-control"));
            assertEquals("bytes", response.header("accept-ranges"));
            assertEquals(DateFormatter.format(new Date(Files.getLastModifiedTime(page).toMillis() / 1000 * 1000)),
                    response.header("last-modified"));
            String etag = response.header("etag");
            assertTrue(etag.startsWith("\"") && etag.endsWith("\"") && !etag.startsWith("W/"), etag);
            assertNull(response.header("vary"));
        }
    }

    @Test
    void contentTypesComeFromTheTableAndOverrides() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            assertEquals("text/css; charset=utf-8", typeOf(http, "/static/style.css"));
            assertEquals("image/png", typeOf(http, "/static/pixel.png"));
            assertEquals("text/x-custom; charset=utf-8", typeOf(http, "/static/data.custom"));
            assertEquals("application/x-qqq", typeOf(http, "/static/unknown.qqq"));
        }
    }

    private static String typeOf(RawHttp http, String path) throws Exception {
        RawHttp.Response response = http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
        assertEquals(200, response.status(), path);
        return response.header("content-type");
    }

    @Test
    void keepAliveContinuesAfterFileResponsesIncludingPipelined() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response response = http.send("GET /static/kib.bin HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
                assertEquals(200, response.status());
                assertEquals(1024, response.body().length);
                assertNull(response.header("connection"));
            }
        }
        try (Downloads.Client client = new Downloads.Client(sluice.port())) {
            client.send("GET /static/one.bin HTTP/1.1\r\nHost: x\r\n\r\nHEAD /static/kib.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /static/hundred.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            Downloads.Hashed one = client.read();
            assertEquals(1, one.bodyLength());
            assertEquals(Downloads.sha256(site.resolve("public/one.bin")), one.sha256());
            String head = client.readHead();
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.toLowerCase().contains("content-length: 1024\r\n"), head);
            Downloads.Hashed hundred = client.read();
            assertEquals(Downloads.sha256(site.resolve("public/hundred.bin")), hundred.sha256());
        }
    }

    @Test
    void onlyGetAndHeadAreAllowed() throws Exception {
        for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS", "PATCH")) {
            try (RawHttp http = new RawHttp(sluice.port())) {
                RawHttp.Response response = http.send(method + " /static/page.html HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Length: 3\r\n\r\nabc").readResponse();
                assertEquals(405, response.status(), method);
                assertEquals("GET, HEAD", response.header("allow"), method);
                RawHttp.Response next = http.send("GET /static/page.html HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
                assertEquals(200, next.status(), "connection usable after 405 to " + method);
            }
        }
    }
}
