package io.sluice.staticfiles;

import io.netty.handler.codec.DateFormatter;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Date;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Range requests (RFC 9110 §14) and conditional requests (§13) against a 1000-byte file. */
class RangesAndConditionalsIT {
    @TempDir
    static Path site;
    static RunningSluice sluice;
    static byte[] content;
    static String etag;
    static String lastModified;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        content = new byte[1000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) ('a' + i % 26);
        }
        Files.write(root.resolve("letters.txt"), content);
        Files.write(root.resolve("empty.txt"), new byte[0]);
        sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public" } }
                  ] } ]
                }""", site);
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = get(http, "");
            etag = response.header("etag");
            lastModified = response.header("last-modified");
        }
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static RawHttp.Response get(RawHttp http, String headers) throws Exception {
        return http.send("GET /letters.txt HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n").readResponse();
    }

    private static void assertRange(String range, int first, int last) throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = get(http, "Range: " + range + "\r\n");
            assertEquals(206, response.status(), range);
            assertEquals("bytes " + first + "-" + last + "/1000", response.header("content-range"), range);
            assertEquals(String.valueOf(last - first + 1), response.header("content-length"), range);
            assertArrayEquals(Arrays.copyOfRange(content, first, last + 1), response.body(), range);
            assertEquals(200, get(http, "").status(), "keep-alive after " + range);
        }
    }

    @Test
    void singleRangesInEveryForm() throws Exception {
        assertRange("bytes=0-99", 0, 99);
        assertRange("bytes=0-0", 0, 0);
        assertRange("bytes=-100", 900, 999);
        assertRange("bytes=900-", 900, 999);
        assertRange("bytes=990-2000", 990, 999);
        assertRange("bytes=-5000", 0, 999);
        assertRange("BYTES = 10-19".replace(" = ", "="), 10, 19);
        assertRange("bytes=5000-6000, 20-29", 20, 29);
    }

    @Test
    void unsatisfiableRangesGet416WithTheSize() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            for (String range : new String[] {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=2000-,3000-3001"}) {
                RawHttp.Response response = get(http, "Range: " + range + "\r\n");
                assertEquals(416, response.status(), range);
                assertEquals("bytes */1000", response.header("content-range"), range);
            }
            RawHttp.Response empty = http.send("GET /empty.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n").readResponse();
            assertEquals(416, empty.status());
            assertEquals("bytes */0", empty.header("content-range"));
        }
    }

    @Test
    void invalidOrExcessiveRangesAreIgnored() throws Exception {
        StringBuilder many = new StringBuilder("bytes=0-0");
        for (int i = 1; i <= ByteRanges.MAX_RANGES; i++) {
            many.append(',').append(i * 10).append('-').append(i * 10);
        }
        try (RawHttp http = new RawHttp(sluice.port())) {
            for (String range : new String[] {"bytes=5-1", "items=0-1", "bytes=abc", "bytes=1-2-3", many.toString()}) {
                RawHttp.Response response = get(http, "Range: " + range + "\r\n");
                assertEquals(200, response.status(), range);
                assertArrayEquals(content, response.body(), range);
            }
        }
    }

    /**
     * Ranges that overlap, together asking for more bytes than the file has, would make one small request
     * send the file several times over (RFC 9110 §14.2 lets a server ignore them; nginx does): the whole
     * file is sent once instead.
     */
    @Test
    void rangesAddingUpToMoreThanTheFileAreIgnored() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            for (String range : new String[] {"bytes=" + "0-,".repeat(ByteRanges.MAX_RANGES - 1) + "0-",
                    "bytes=0-599,400-999", "bytes=-1000,0-0"}) {
                RawHttp.Response response = get(http, "Range: " + range + "\r\n");
                assertEquals(200, response.status(), range);
                assertEquals("1000", response.header("content-length"), range);
                assertArrayEquals(content, response.body(), range);
            }
            RawHttp.Response adjacent = get(http, "Range: bytes=0-499,500-999\r\n");
            assertEquals(206, adjacent.status(), "ranges that add up to the file exactly are still served");
        }
    }

    @Test
    void multipleRangesComeAsMultipartByteranges() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = get(http, "Range: bytes=0-9, 20-29, -5\r\n");
            assertEquals(206, response.status());
            String type = response.header("content-type");
            assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
            String boundary = type.substring(type.indexOf('=') + 1);
            String expected = "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-9/1000\r\n\r\n"
                    + new String(content, 0, 10, StandardCharsets.US_ASCII)
                    + "\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 20-29/1000\r\n\r\n"
                    + new String(content, 20, 10, StandardCharsets.US_ASCII)
                    + "\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 995-999/1000\r\n\r\n"
                    + new String(content, 995, 5, StandardCharsets.US_ASCII)
                    + "\r\n--" + boundary + "--\r\n";
            assertEquals(expected, response.bodyText());
            assertEquals(200, get(http, "").status(), "framing intact after the multipart body");
        }
    }

    @Test
    void ifRangeDecidesBetweenPartAndWhole() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            assertEquals(206, get(http, "Range: bytes=0-9\r\nIf-Range: " + etag + "\r\n").status());
            assertEquals(206, get(http, "Range: bytes=0-9\r\nIf-Range: " + lastModified + "\r\n").status());
            RawHttp.Response stale = get(http, "Range: bytes=0-9\r\nIf-Range: \"other\"\r\n");
            assertEquals(200, stale.status());
            assertArrayEquals(content, stale.body());
            assertEquals(200, get(http, "Range: bytes=0-9\r\nIf-Range: W/" + etag + "\r\n").status());
            assertEquals(200, get(http, "Range: bytes=0-9\r\nIf-Range: Thu, 01 Jan 1998 00:00:00 GMT\r\n").status());
        }
    }

    @Test
    void headIgnoresRange() throws Exception {
        try (Downloads.Client client = new Downloads.Client(sluice.port())) {
            String head = client.send("HEAD /letters.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n").readHead();
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.toLowerCase().contains("content-length: 1000\r\n"), head);
        }
    }

    @Test
    void ifNoneMatchAndIfModifiedSinceGive304() throws Exception {
        String earlier = DateFormatter.format(new Date(DateFormatter.parseHttpDate(lastModified).getTime() - 3_600_000));
        try (Downloads.Client client = new Downloads.Client(sluice.port())) {
            for (String condition : new String[] {"If-None-Match: " + etag, "If-None-Match: \"x\", " + etag,
                    "If-None-Match: W/" + etag, "If-None-Match: *", "If-Modified-Since: " + lastModified}) {
                String head = client.send("GET /letters.txt HTTP/1.1\r\nHost: x\r\n" + condition + "\r\n\r\n").readHead();
                assertTrue(head.startsWith("HTTP/1.1 304 "), condition + " → " + head);
                assertTrue(head.contains(etag), head);
            }
            assertEquals(200, client.send("GET /letters.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\"\r\n\r\n").read().status());
            assertEquals(200, client.send("GET /letters.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: " + earlier
                    + "\r\n\r\n").read().status());
            assertEquals(200, client.send("GET /letters.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\"\r\n"
                    + "If-Modified-Since: " + lastModified + "\r\n\r\n").read().status(), "If-None-Match wins");
            String head = client.send("HEAD /letters.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\n\r\n").readHead();
            assertTrue(head.startsWith("HTTP/1.1 304 "), head);
        }
    }

    @Test
    void ifMatchAndIfUnmodifiedSinceGive412() throws Exception {
        String earlier = DateFormatter.format(new Date(DateFormatter.parseHttpDate(lastModified).getTime() - 3_600_000));
        try (RawHttp http = new RawHttp(sluice.port())) {
            assertEquals(200, get(http, "If-Match: " + etag + "\r\n").status());
            assertEquals(200, get(http, "If-Match: *\r\n").status());
            assertEquals(200, get(http, "If-Unmodified-Since: " + lastModified + "\r\n").status());
            assertEquals(412, get(http, "If-Match: \"other\"\r\n").status());
            assertEquals(412, get(http, "If-Match: W/" + etag + "\r\n").status(), "If-Match compares strongly");
            assertEquals(412, get(http, "If-Unmodified-Since: " + earlier + "\r\n").status());
            RawHttp.Response ok = get(http, "If-Match: " + etag + "\r\nIf-Unmodified-Since: " + earlier + "\r\n");
            assertEquals(200, ok.status(), "If-Match present: If-Unmodified-Since is not evaluated");
            assertNotNull(ok.header("etag"));
            assertNull(get(http, "If-Match: \"other\"\r\n").header("etag"));
        }
    }
}
