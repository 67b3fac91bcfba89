package io.sluice.staticfiles;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Serving x.br / x.gz beside x by Accept-Encoding, with q-values, Vary and per-representation validators. */
class PrecompressedIT {
    @TempDir
    static Path site;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        Files.writeString(root.resolve("app.js"), "console.log('identity');\n");
        Files.writeString(root.resolve("app.js.br"), "BROTLI-BYTES");
        Files.writeString(root.resolve("app.js.gz"), "GZIP-BYTES-LONGER");
        Files.writeString(root.resolve("style.css"), "body{}");
        Files.writeString(root.resolve("style.css.gz"), "GZ-CSS");
        Files.writeString(root.resolve("plain.txt"), "plain");
        sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public", precompressed = true } }
                    { match = "/off/", static { root = "public" } }
                  ] } ]
                }""", site);
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static RawHttp.Response get(String path, String acceptEncoding) throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            return http.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n"
                    + (acceptEncoding == null ? "" : "Accept-Encoding: " + acceptEncoding + "\r\n") + "\r\n").readResponse();
        }
    }

    private static void assertServed(String path, String acceptEncoding, String encoding, String body) throws Exception {
        RawHttp.Response response = get(path, acceptEncoding);
        assertEquals(200, response.status());
        assertEquals(body, response.bodyText(), acceptEncoding);
        assertEquals(encoding, response.header("content-encoding"), acceptEncoding);
        assertEquals("Accept-Encoding", response.header("vary"), acceptEncoding);
    }

    @Test
    void choosesByAcceptEncodingAndQValues() throws Exception {
        String identity = "console.log('identity');\n";
        assertServed("/app.js", "gzip, deflate, br", "br", "BROTLI-BYTES");
        assertServed("/app.js", "gzip", "gzip", "GZIP-BYTES-LONGER");
        assertServed("/app.js", "br;q=0.5, gzip;q=0.8", "gzip", "GZIP-BYTES-LONGER");
        assertServed("/app.js", "br;q=0.9, gzip;q=0.8", "br", "BROTLI-BYTES");
        assertServed("/app.js", "br;q=0, gzip;q=0", null, identity);
        assertServed("/app.js", "*", "br", "BROTLI-BYTES");
        assertServed("/app.js", "*;q=0.5, br;q=0", "gzip", "GZIP-BYTES-LONGER");
        assertServed("/app.js", "identity", null, identity);
        assertServed("/app.js", null, null, identity);
        assertServed("/style.css", "br, gzip", "gzip", "GZ-CSS");
    }

    @Test
    void representationsKeepTheOriginalTypeAndTheirOwnValidators() throws Exception {
        RawHttp.Response brotli = get("/app.js", "br");
        RawHttp.Response identity = get("/app.js", null);
        assertEquals("application/javascript; charset=utf-8", brotli.header("content-type"));
        assertEquals("12", brotli.header("content-length"));
        assertNotEquals(identity.header("etag"), brotli.header("etag"));
    }

    @Test
    void rangesApplyToTheStoredRepresentation() throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET /app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n"
                    + "Range: bytes=0-5\r\n\r\n").readResponse();
            assertEquals(206, response.status());
            assertEquals("BROTLI", response.bodyText());
            assertEquals("bytes 0-5/12", response.header("content-range"));
            assertEquals("br", response.header("content-encoding"));
        }
    }

    @Test
    void withoutVariantsOrWhenOffNothingChanges() throws Exception {
        RawHttp.Response plain = get("/plain.txt", "br, gzip");
        assertNull(plain.header("content-encoding"));
        assertNull(plain.header("vary"));
        RawHttp.Response off = get("/off/app.js", "br, gzip");
        assertEquals("console.log('identity');\n", off.bodyText());
        assertNull(off.header("content-encoding"));
        assertNull(off.header("vary"));
    }
}
