package io.sluice.staticfiles;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code autoindex} of a directory of 10,000 long names that all need escaping (a directory anyone who can
 * upload may fill): uncapped, its page is 23 MB of heap per request, and 40 HTTP/1.1 clients that asked
 * for it and did not read ran a 512 MB heap out of memory. One page is capped, and the pages waiting for
 * their clients are bounded together; past that, a listing gets 503 until they drain.
 */
class LargeListingIT {
    private static final int NAMES = 10_000;

    @TempDir
    static Path site;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        Path many = Files.createDirectories(site.resolve("public/many"));
        String quotes = "\"".repeat(240);
        for (int i = 0; i < NAMES; i++) {
            Files.createFile(many.resolve("%05d".formatted(i) + quotes));
        }
        Files.writeString(site.resolve("public/small.txt"), "small");
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  servers = [ { listen = [ "127.0.0.1:0", { address = "127.0.0.2:0", http2 = true } ], locations = [
                    { match = "/", static { root = "public", autoindex = true } }
                  ] } ]
                }""", site);
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static RawHttp.Response get(String path) throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            return http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
        }
    }

    @Test
    void onePageIsCappedAtWholeRowsAndSaysSo() throws Exception {
        RawHttp.Response page = get("/many/");
        assertEquals(200, page.status());
        String html = page.bodyText();
        assertTrue(page.body().length <= DirectoryListing.MAX_PAGE_CHARS + 4096, "page of " + page.body().length + " bytes");
        assertTrue(html.contains("<p>Only the first "), "the cut is announced");
        assertTrue(html.contains("00000&quot;"), "it starts at the first name in order");
        assertTrue(html.endsWith("</body></html>\n"), "the page is complete");
    }

    /**
     * An HTTP/2 client that grants no flow-control window keeps every page it asked for in the server's
     * memory (nothing reaches the kernel), any number of streams on one connection.
     */
    @Test
    void pagesWaitingForClientsThatDoNotReadAreBoundedTogether() throws Exception {
        try (RawHttp2 stalled = new RawHttp2("127.0.0.2", sluice.port("127.0.0.2:0"))) {
            stalled.write(RawHttp2.SETTINGS, 0, 0, new byte[] {0, 4, 0, 0, 0, 0});
            for (int stream = 1; stream < 2 * 24; stream += 2) {
                stalled.write(RawHttp2.HEADERS, RawHttp2.END_STREAM | RawHttp2.END_HEADERS, stream,
                        RawHttp2.getRequest("/many/"));
            }
            stalled.flush();
            long deadline = System.nanoTime() + 20_000_000_000L;
            int status;
            do {
                status = get("/many/").status();
            } while (status == 200 && System.nanoTime() < deadline);
            assertEquals(503, status, "with the listing budget held by streams that cannot be written");
            assertEquals("small", get("/small.txt").bodyText(), "files are still served");
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        int status;
        do {
            Thread.sleep(100);
            status = get("/many/").status();
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status, "the budget comes back once that connection is gone");
    }
}
