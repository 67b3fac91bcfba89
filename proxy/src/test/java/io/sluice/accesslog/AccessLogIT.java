package io.sluice.accesslog;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogIT {
    private static final String CONFIG = """
            sluice {
              workers = 2
              admin { listen = "127.0.0.1:0" }
              access-log { path = "logs/access.json", format = json }
              servers = [
                { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", return { status = 200, body = "hello" } } ] }
                { listen = [ "127.0.0.1:0" ], server-names = [ "combined.test" ], access-log { path = "logs/combined.log", format = combined }, locations = [
                    { match = "= /missing", return { status = 404, body = "" } }
                    { match = "/", return { status = 200, body = "hi" } } ] }
              ]
            }""";

    /** A header value with quotes, a backslash, a tab and two bytes that are not UTF-8. */
    private static final byte[] HOSTILE_AGENT = {'e', 'v', '"', 'i', 'l', '\\', '\t', 'x', (byte) 0xff, (byte) 0xfe};

    /** A file sent by sendfile travels beside its head, not in a buffer: its bytes still count. */
    @Test
    void staticFilesSentBySendfileCountTheirBytes(@TempDir Path site) throws Exception {
        byte[] file = new byte[100 * 1024];
        new Random(7).nextBytes(file);
        Files.write(site.resolve("big.bin"), file);
        String config = """
                sluice {
                  workers = 1
                  admin { listen = "127.0.0.1:0" }
                  access-log { path = "logs/access.json", format = json }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                      { match = "/", static { root = "%s" } } ] } ]
                }""".formatted(site);
        try (OperatedSluice sluice = OperatedSluice.start(config); RawHttp http = new RawHttp(sluice.port())) {
            http.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=1000-30999\r\n\r\n");
            RawHttp.Response whole = http.readResponse();
            assertEquals(200, whole.status());
            assertArrayEquals(file, whole.body());
            RawHttp.Response range = http.readResponse();
            assertEquals(206, range.status());
            assertArrayEquals(Arrays.copyOfRange(file, 1000, 31000), range.body());
            List<String> lines = awaitLines(sluice.directory().resolve("logs/access.json"), 2);
            assertEquals(file.length, json(lines.get(0)).getInt("body_bytes_sent"));
            assertEquals(30000, json(lines.get(1)).getInt("body_bytes_sent"));
        }
    }

    private static Config json(String line) {
        return ConfigFactory.parseString(line, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    @Test
    void jsonAndCombinedLinesWithHostileValuesAndReopen() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG)) {
            Path json = sluice.directory().resolve("logs/access.json");
            Path combined = sluice.directory().resolve("logs/combined.log");
            int port = sluice.port();

            try (RawHttp http = new RawHttp(port)) {
                http.send(request("/json?q=1", "127.0.0.1"));
                assertEquals(200, http.readResponse().status());
            }
            List<String> jsonLines = awaitLines(json, 1);
            Config entry = ConfigFactory.parseString(jsonLines.get(0), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
            assertEquals("GET", entry.getString("method"));
            assertEquals("/json?q=1", entry.getString("uri"));
            assertEquals(200, entry.getInt("status"));
            assertEquals(5, entry.getInt("body_bytes_sent"));
            assertEquals("127.0.0.1", entry.getString("remote_addr"));
            assertEquals(new String(HOSTILE_AGENT, StandardCharsets.ISO_8859_1), entry.getString("user_agent"));
            assertEquals("https://example.org/\"x\"", entry.getString("referer"));

            try (RawHttp http = new RawHttp(port)) {
                http.send(request("/missing", "combined.test"));
                assertEquals(404, http.readResponse().status());
            }
            List<String> combinedLines = awaitLines(combined, 1);
            String line = combinedLines.get(0);
            assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /missing HTTP/1\\.1\" 404 0 "
                    + "\"https://example.org/\\\\x22x\\\\x22\" \"ev\\\\x22il\\\\x5C\\\\x09x\\\\xFF\\\\xFE\""), line);

            Path rotated = combined.resolveSibling("combined.log.1");
            Files.move(combined, rotated);
            assertEquals(200, sluice.post(sluice.adminUri("/reopen-logs")).statusCode());
            try (RawHttp http = new RawHttp(port)) {
                http.send(request("/after-rotation", "combined.test"));
                assertEquals(200, http.readResponse().status());
            }
            List<String> fresh = awaitLines(combined, 1);
            assertTrue(fresh.get(0).contains("\"GET /after-rotation HTTP/1.1\" 200 2"), fresh.get(0));
            assertEquals(1, Files.readAllLines(rotated).size(), "the rotated file keeps only what was written before");
        }
    }

    private static byte[] request(String path, String host) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nReferer: https://example.org/\"x\"\r\nUser-Agent: ")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(HOSTILE_AGENT);
        out.write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    /** The writer flushes within a second; waits up to 10 s for {@code count} complete lines. */
    static List<String> awaitLines(Path file, int count) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                List<String> lines = text.lines().toList();
                if (lines.size() >= count && text.endsWith("\n")) {
                    return lines;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("fewer than " + count + " lines in " + file + " after 10 s");
    }
}
