package io.sluice.staticfiles;

import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A JVM started under the C locale (no LANG, as under many init systems and minimal images) encodes file
 * names as ASCII: Java 17 takes that encoding from the locale and no option overrides it, so a path with
 * any other character cannot even be named. Such a request must be an ordinary 404, not a 500 with a stack
 * trace in the log for every probe, and the start must say why those files cannot be served.
 */
class FileNameEncodingIT {
    @TempDir
    Path site;

    @Test
    void underTheCLocaleANonAsciiPathIsA404AndTheStartSaysWhy() throws Exception {
        assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")), "the test JVM must be able to create the file");
        Path root = Files.createDirectories(site.resolve("public"));
        Files.writeString(root.resolve("caf\u00e9.txt"), "coffee");
        Files.writeString(root.resolve("plain.txt"), "plain");
        String config = """
                sluice {
                  workers = 1
                  admin { listen = off }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "%s", autoindex = true } }
                  ] } ]
                }""".formatted(root);
        try (LaunchedSluice sluice = LaunchedSluice.start(config, List.of(), Map.of("LC_ALL", "C"));
             RawHttp http = new RawHttp(sluice.port())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response response = http.send("GET /caf%C3%A9.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
                assertEquals(404, response.status());
            }
            assertEquals("plain", http.send("GET /plain.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText());
            RawHttp.Response listing = http.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, listing.status());
            assertTrue(listing.bodyText().contains("plain.txt"), listing.bodyText());
            String log = sluice.output();
            assertFalse(log.contains("ERROR"), log);
            assertFalse(log.contains("Exception"), log);
            assertTrue(log.contains("LANG=C.UTF-8"), "the start names the remedy: " + log);
        }
    }
}
