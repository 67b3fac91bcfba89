package io.sluice.staticfiles;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Small settled files answered from their copy in memory: whole, ranged, HEAD, conditional and
 * precompressed responses, the copy's lifetime (until the entry is revalidated), and {@code memory = 0}.
 */
class InMemoryContentIT {
    private static final String GET = "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n";

    @TempDir
    Path site;

    @BeforeEach
    void createRoot() throws Exception {
        Files.createDirectories(site.resolve("public"));
    }

    private RunningSluice start(String cache) {
        return RunningSluice.start("""
                sluice {
                  workers = 1
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public", precompressed = true, open-file-cache { %s } } }
                  ] } ]
                }""".formatted(cache), site);
    }

    /** Writes {@code text} in place (same inode) and dates it {@code minutesAgo} back: settled for any test here. */
    private Path write(String name, String text, int minutesAgo) throws Exception {
        Path file = site.resolve("public").resolve(name);
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - minutesAgo * 60_000L));
        return file;
    }

    private static RawHttp.Response get(RawHttp http, String path, String headers) throws Exception {
        return http.send(GET.formatted(path, headers)).readResponse();
    }

    @Test
    void aCopyAnswersWholeRangedHeadAndConditionalRequestsUntilItsEntryIsRevalidated() throws Exception {
        String text = "0123456789abcdefghij";
        Path file = write("page.txt", text, 60);
        try (RunningSluice sluice = start("valid = 1h"); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response whole = get(http, "/page.txt", "");
            assertEquals(text, whole.bodyText());
            Files.writeString(file, "abc");
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - 60_000));

            RawHttp.Response again = get(http, "/page.txt", "");
            assertEquals(text, again.bodyText(), "the copy, consistent with its validators, until revalidation");
            assertEquals(whole.header("etag"), again.header("etag"));
            assertEquals("20", again.header("content-length"));
            assertEquals("text/plain; charset=utf-8", again.header("content-type"));

            RawHttp.Response range = get(http, "/page.txt", "Range: bytes=10-14\r\n");
            assertEquals(206, range.status());
            assertEquals("abcde", range.bodyText());
            assertEquals("bytes 10-14/20", range.header("content-range"));
            RawHttp.Response suffix = get(http, "/page.txt", "Range: bytes=-3\r\n");
            assertEquals("hij", suffix.bodyText());

            try (Downloads.Client client = new Downloads.Client(sluice.port())) {
                String head = client.send("HEAD /page.txt HTTP/1.1\r\nHost: x\r\n\r\n").readHead();
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                assertTrue(head.contains("content-length: 20\r\n"), head);
                assertEquals(text.length(), client.get("/page.txt").bodyLength(), "HEAD left nothing on the connection");
            }

            RawHttp.Response notModified = get(http, "/page.txt", "If-None-Match: " + whole.header("etag") + "\r\n");
            assertEquals(304, notModified.status());
            RawHttp.Response failed = get(http, "/page.txt", "If-Match: \"other\"\r\n");
            assertEquals(412, failed.status());
        }
    }

    @Test
    void aChangedFileIsServedFreshAfterRevalidation() throws Exception {
        Path file = write("v.txt", "version-1", 60);
        try (RunningSluice sluice = start("valid = 300ms"); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response first = get(http, "/v.txt", "");
            assertEquals("version-1", first.bodyText());
            Files.writeString(file, "version-2");
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - 30 * 60_000));
            Thread.sleep(500);
            RawHttp.Response second = get(http, "/v.txt", "");
            assertEquals("version-2", second.bodyText());
            assertNotEquals(first.header("etag"), second.header("etag"));
        }
    }

    @Test
    void aPrecompressedVariantIsAnsweredFromItsOwnCopy() throws Exception {
        write("app.js", "console.log('plain')", 60);
        byte[] gzip = "pretend-gzip-bytes".getBytes(StandardCharsets.US_ASCII);
        Path gz = site.resolve("public/app.js.gz");
        Files.write(gz, gzip);
        Files.setLastModifiedTime(gz, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        try (RunningSluice sluice = start("valid = 1h"); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response encoded = get(http, "/app.js", "Accept-Encoding: gzip\r\n");
            assertEquals("gzip", encoded.header("content-encoding"));
            assertEquals("Accept-Encoding", encoded.header("vary"));
            assertArrayEquals(gzip, encoded.body());
            assertEquals("console.log('plain')", get(http, "/app.js", "").bodyText());
        }
    }

    @Test
    void withNoMemoryEveryRequestReadsTheDescriptorAndSeesAnInPlaceRewrite() throws Exception {
        Path file = write("page.txt", "0123456789", 60);
        try (RunningSluice sluice = start("valid = 1h, memory = 0"); RawHttp http = new RawHttp(sluice.port())) {
            assertEquals("0123456789", get(http, "/page.txt", "").bodyText());
            Files.writeString(file, "abc");
            assertEquals("abc", get(http, "/page.txt", "").bodyText(), "the shorter file was looked up again");
        }
    }
}
