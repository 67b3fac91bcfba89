package io.sluice.staticfiles;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** config/examples/static-site.conf serves its www folder as a website (on a free port instead of 8080). */
class StaticSiteExampleIT {
    private static final Path EXAMPLES = Path.of("..", "config", "examples");

    @Test
    void theExampleServesItsFolder() throws Exception {
        String conf = Files.readString(EXAMPLES.resolve("static-site.conf")).replace("0.0.0.0:8080", "127.0.0.1:0");
        try (RunningSluice sluice = RunningSluice.start(conf, EXAMPLES); RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response home = http.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, home.status());
            assertTrue(home.bodyText().contains("Served by Sluice"));
            assertEquals("public, max-age=300", home.header("cache-control"));
            assertEquals("/docs/", http.send("GET /docs HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().header("location"));
            assertTrue(http.send("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText().contains("<h1>Docs</h1>"));
            assertTrue(http.send("GET /files/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText().contains("readme.txt"));
            RawHttp.Response css = http.send("GET /css/site.css HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n").readResponse();
            assertEquals("gzip", css.header("content-encoding"));
            assertEquals(Files.size(EXAMPLES.resolve("www/css/site.css.gz")), css.body().length);
        }
    }
}
