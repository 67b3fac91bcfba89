package io.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompressionConfigTest {
    @TempDir
    Path dir;

    @Test
    void withoutABlockCompressionIsOff() {
        SluiceConfig config = ConfigLoader.parse(servers("", "{ match = \"/\", return { } }"), dir);
        assertSame(CompressionConfig.OFF, config.servers().get(0).locations().get(0).compression());
        assertFalse(CompressionConfig.OFF.enabled());
    }

    @Test
    void innerBlocksOverrideTheKeysTheyNameAndInheritTheRest() {
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  compression { gzip = true, brotli = false, min-length = 2k, gzip-level = 4 }
                  servers = [
                    { listen = [ "127.0.0.1:0" ], compression { zstd = true, types = [ "text/*" ] }, locations = [
                      { match = "/a/", return { } }
                      { match = "/b/", compression { min-length = 0, brotli = true, brotli-level = 9 }, return { } }
                      { match = "/c/", compression { enabled = false }, return { } }
                    ] }
                    { listen = [ "127.0.0.2:0" ], locations = [ { match = "/", return { } } ] }
                  ]
                }""", dir);
        List<LocationConfig> locations = config.servers().get(0).locations();
        CompressionConfig a = locations.get(0).compression();
        assertTrue(a.enabled());
        assertEquals(List.of(true, false, true), List.of(a.gzip(), a.brotli(), a.zstd()));
        assertEquals(2048, a.minLength());
        assertEquals(List.of("text/*"), a.types());
        assertEquals(4, a.gzipLevel());
        CompressionConfig b = locations.get(1).compression();
        assertEquals(List.of(true, true, true), List.of(b.gzip(), b.brotli(), b.zstd()));
        assertEquals(0, b.minLength());
        assertEquals(9, b.brotliLevel());
        assertEquals(4, b.gzipLevel());
        assertFalse(locations.get(2).compression().enabled());
        CompressionConfig other = config.servers().get(1).locations().get(0).compression();
        assertEquals(List.of(true, false, false), List.of(other.gzip(), other.brotli(), other.zstd()));
        assertEquals(CompressionConfig.DEFAULT_TYPES, other.types());
    }

    @Test
    void aFirstBlockStartsFromGzipAndBrotliAtOneKilobyte() {
        CompressionConfig config = ConfigLoader.parse(servers("", "{ match = \"/\", compression { }, return { } }"), dir)
                .servers().get(0).locations().get(0).compression();
        assertTrue(config.enabled());
        assertEquals(List.of(true, true, false), List.of(config.gzip(), config.brotli(), config.zstd()));
        assertEquals(1024, config.minLength());
        assertEquals(List.of(6, 4, 3), List.of(config.gzipLevel(), config.brotliLevel(), config.zstdLevel()));
    }

    @Test
    void badValuesAreReportedWithTheirPath() {
        String text = servers("compression { gzip-level = 12, types = [ \"json\", \"text/*;q=1\" ], min-length = -1, "
                + "level = 3 }", "{ match = \"/\", return { } }");
        String message = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir)).getMessage();
        assertTrue(message.contains("compression.gzip-level: must be between 1 and 9 (got 12)"), message);
        assertTrue(message.contains("\"json\" is not a media type"), message);
        assertTrue(message.contains("\"text/*;q=1\" is not a media type"), message);
        assertTrue(message.contains("compression.min-length: Attempt to construct memory size with negative number"), message);
        assertTrue(message.contains("compression.level: unknown key"), message);
    }

    @Test
    void theExampleLoads() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/compression.conf"));
        List<LocationConfig> locations = config.servers().get(0).locations();
        CompressionConfig api = locations.get(1).compression();
        assertTrue(api.zstd() && api.brotli() && api.gzip());
        assertEquals(0, api.minLength());
        assertEquals(List.of("application/json", "application/problem+json"), api.types());
        assertFalse(locations.get(2).compression().enabled());
        assertEquals(1024, locations.get(3).compression().minLength());
    }

    @Test
    void aReloadThatChangesOnlyCompressionShowsInTheDiff() {
        String location = "{ match = \"/\", return { } }";
        SluiceConfig before = ConfigLoader.parse(servers("", location), dir);
        SluiceConfig after = ConfigLoader.parse(servers("compression { }", location), dir);
        assertEquals(List.of("~ server listening on [127.0.0.1:0] location / (return 200: settings changed)"),
                ConfigDiff.between(before, after));
        assertEquals(List.of(), ConfigDiff.between(after, ConfigLoader.parse(servers("compression { }", location), dir)));
    }

    private static String servers(String top, String location) {
        return """
                sluice {
                  %s
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ %s ] } ]
                }""".formatted(top, location);
    }
}
