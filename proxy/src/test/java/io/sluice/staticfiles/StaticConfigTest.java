package io.sluice.staticfiles;

import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.StaticConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The static block's keys: defaults, values, and the values that would corrupt response headers. */
class StaticConfigTest {
    private static final Path BASE = Path.of("/srv/site");

    private static StaticConfig parse(String block) {
        return (StaticConfig) ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                  { match = "/", static { %s } }
                ] } ] }""".formatted(block), BASE).servers().get(0).locations().get(0).action();
    }

    @Test
    void defaultsAndEveryKey() {
        StaticConfig defaults = parse("root = \"public\"");
        assertEquals(BASE.resolve("public"), defaults.root());
        assertEquals(List.of("index.html"), defaults.index());
        assertEquals(StaticConfig.Symlinks.INSIDE_ROOT, defaults.symlinks());
        assertEquals(10000, defaults.openFileCacheMax());
        assertEquals(Duration.ofSeconds(30), defaults.openFileCacheValid());
        assertEquals(8L << 20, defaults.openFileCacheMemory());
        StaticConfig all = parse("""
                root = "/var/www", index = [ "a.htm" ], autoindex = true, fallback = "/app.html", precompressed = true
                cache-control = "no-cache", symlinks = deny, dotfiles = allow
                mime-types { ".wasm" = "application/wasm", txt = "text/plain; charset=latin1" }
                open-file-cache { max = 0, valid = 5s, memory = 64k }""");
        assertEquals(Path.of("/var/www"), all.root());
        assertTrue(all.autoindex() && all.precompressed() && all.dotfilesAllowed());
        assertEquals("/app.html", all.fallback());
        assertEquals(StaticConfig.Symlinks.DENY, all.symlinks());
        assertEquals(Map.of(".wasm", "application/wasm", "txt", "text/plain; charset=latin1"), all.mimeTypes());
        assertEquals(0, all.openFileCacheMax());
        assertEquals(64 * 1024, all.openFileCacheMemory());
    }

    @Test
    void valuesThatWouldBreakHeadersAreRefused() {
        InvalidConfigException bad = assertThrows(InvalidConfigException.class, () -> parse("""
                root = "public", mime-types { x = "text/html\\r\\nSet-Cookie: a=b", y = "nonsense" }
                cache-control = "max-age=1\\nX: y", symlinks = sometimes, fallback = "index.html", bogus = 1
                open-file-cache { memory = -1 }"""));
        String problems = String.join("\n", bad.problems());
        assertTrue(problems.contains("for \"x\" is not a media type"), problems);
        assertTrue(problems.contains("for \"y\" is not a media type"), problems);
        assertTrue(problems.contains("cache-control"), problems);
        assertTrue(problems.contains("symlinks"), problems);
        assertTrue(problems.contains("fallback"), problems);
        assertTrue(problems.contains("bogus"), problems);
        assertTrue(problems.contains("open-file-cache.memory"), problems);
    }
}
