package io.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheConfigTest {
    @TempDir
    Path dir;

    private static String config(String top, String proxy) {
        return """
                sluice {
                  %s
                  upstreams { app { servers = [ { address = "127.0.0.1:9000" } ] } }
                  servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                    { match = "/", proxy { upstream = app, %s } }
                  ] } ]
                }
                """.formatted(top, proxy);
    }

    private static ProxyCacheConfig proxyCache(SluiceConfig config) {
        return ((ProxyConfig) config.servers().get(0).locations().get(0).action()).cache();
    }

    @Test
    void defaultsAreOffWithTheDocumentedKey() {
        SluiceConfig config = ConfigLoader.parse(config("", ""), dir);
        assertEquals(CacheConfig.DEFAULTS, config.cache());
        ProxyCacheConfig cache = proxyCache(config);
        assertFalse(cache.enabled());
        assertEquals("$scheme$host$uri$args", cache.key().text());
        assertTrue(cache.head());
    }

    @Test
    void everyKeyIsRead() {
        SluiceConfig config = ConfigLoader.parse(config(
                "cache { max-size = 64m, max-object-size = 2m, min-ttl = 1s, lock-timeout = 2s }",
                "cache = true, cache-key = \"$host$request_uri$http_accept_language\", cache-methods = [ GET ], "
                        + "cache-authorized = true, cache-set-cookie = true"), dir);
        assertEquals(new CacheConfig(64L << 20, 2L << 20, Duration.ofSeconds(1), Duration.ofSeconds(2)), config.cache());
        ProxyCacheConfig cache = proxyCache(config);
        assertTrue(cache.enabled() && cache.cacheAuthorized() && cache.cacheSetCookie());
        assertFalse(cache.head());
        assertEquals(List.of(VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.HOST)),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.REQUEST_URI)),
                VariableText.Part.of(new RequestVariable(RequestVariable.Kind.HEADER, "accept-language"))), cache.key().parts());
    }

    @Test
    void mistakesAreReportedWithTheirKeys() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(config(
                "cache { max-size = 1m, max-object-size = -2m, min-ttl = -1s }",
                "cache = true, cache-key = \"$host$path\", cache-methods = [ GET, POST ], cache-tll = 1"), dir));
        String problems = String.join("\n", e.problems());
        assertEquals(5, e.problems().size(), problems);
        assertTrue(problems.contains("max-object-size") && problems.contains("min-ttl") && problems.contains("$path")
                && problems.contains("POST") && problems.contains("cache-tll"), problems);
    }

    @Test
    void maxObjectSizeIsBoundedByMaxSize() {
        assertEquals(512 * 1024, ConfigLoader.parse(config("cache { max-size = 512k }", ""), dir).cache().maxObjectSize());
    }

    @Test
    void theCachingExampleIsValid() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/caching.conf"));
        assertTrue(config.servers().get(0).locations().stream().anyMatch(location ->
                location.action() instanceof ProxyConfig proxy && proxy.cache().enabled()));
    }

    @Test
    void aKeyWithoutVariablesIsRejected() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(config(
                "cache { max-size = 1m }", "cache = true, cache-key = \"static\""), dir));
        assertTrue(e.problems().get(0).contains("cache-key") && e.problems().get(0).contains("no variable"),
                e.problems().toString());
    }
}
