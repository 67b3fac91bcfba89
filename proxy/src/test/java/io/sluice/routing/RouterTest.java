package io.sluice.routing;

import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ReturnConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RouterTest {
    private static final String CONFIG = """
            sluice { servers = [
              { listen = [ "127.0.0.1:8080" ], locations = [
                  { match = "/", return { body = "default-root" } }
                  { match = "= /exact", return { body = "exact" } }
                  { match = "/exact", return { body = "prefix-exact" } }
                  { match = "/images/", return { body = "images-prefix" } }
                  { match = "^~ /images/static/", return { body = "images-static-noregex" } }
                  { match = "~* \\\\.(png|jpg)$", return { body = "regex-image" } }
                  { match = "~ ^/api/v[0-9]+/", return { body = "regex-api" } }
                  { match = "~ ^/api/", return { body = "regex-api-any" } }
                  { match = "/api/long/prefix/", return { body = "api-prefix" } }
              ] }
              { listen = [ "127.0.0.1:8080" ], server-names = [ "example.com", "*.example.com" ], locations = [
                  { match = "/", return { body = "example" } } ] }
              { listen = [ "127.0.0.1:8080" ], server-names = [ "*.deep.example.com", "www.example.com" ], locations = [
                  { match = "/", return { body = "deep-or-www" } } ] }
              { listen = [ "127.0.0.1:9090" ], server-names = [ "other.test" ], locations = [
                  { match = "/only/", return { body = "other-default" } } ] }
            ] }
            """;

    private final Router router = Router.compile(ConfigLoader.parse(CONFIG, Path.of(".")), location -> null,
            new ExchangeRecorders(new SluiceMetrics(), new AccessLogWriter()));

    private String route(String address, String host, String path) {
        Route route = router.forAddress(address).select(host).match(path);
        return route == null ? null
                : new String(((ReturnConfig) route.location().action()).body(), StandardCharsets.UTF_8);
    }

    @Test
    void exactBeatsEverything() {
        assertEquals("exact", route("127.0.0.1:8080", "", "/exact"));
        assertEquals("prefix-exact", route("127.0.0.1:8080", "", "/exact/more"));
    }

    @Test
    void longestPrefixWinsWhenNoRegexMatches() {
        assertEquals("images-prefix", route("127.0.0.1:8080", "", "/images/a.gif"));
        assertEquals("default-root", route("127.0.0.1:8080", "", "/elsewhere"));
    }

    @Test
    void regexIsCheckedInOrderBeforeFallingBackToPrefix() {
        assertEquals("regex-image", route("127.0.0.1:8080", "", "/images/a.PNG"));
        assertEquals("regex-api", route("127.0.0.1:8080", "", "/api/v2/users"));
        assertEquals("regex-api-any", route("127.0.0.1:8080", "", "/api/users"));
        // a longer plain prefix still loses to a matching regex, as in nginx
        assertEquals("regex-api", route("127.0.0.1:8080", "", "/api/v1/x"));
        assertEquals("regex-api-any", route("127.0.0.1:8080", "", "/api/long/prefix/x"));
    }

    @Test
    void caretTildePrefixSkipsRegexes() {
        assertEquals("images-static-noregex", route("127.0.0.1:8080", "", "/images/static/logo.png"));
    }

    @Test
    void serverNamesSelectExactThenLongestWildcardThenDefault() {
        assertEquals("example", route("127.0.0.1:8080", "example.com", "/"));
        assertEquals("example", route("127.0.0.1:8080", "a.example.com", "/"));
        assertEquals("deep-or-www", route("127.0.0.1:8080", "www.example.com", "/"));
        assertEquals("deep-or-www", route("127.0.0.1:8080", "x.deep.example.com", "/"));
        assertEquals("default-root", route("127.0.0.1:8080", "unknown.test", "/"));
        assertEquals("default-root", route("127.0.0.1:8080", "", "/"));
        // *.deep.example.com does not match deep.example.com itself; the shorter wildcard does
        assertEquals("example", route("127.0.0.1:8080", "deep.example.com", "/"));
    }

    @Test
    void eachAddressHasItsOwnDefaultServer() {
        assertEquals("other-default", route("127.0.0.1:9090", "example.com", "/only/x"));
        assertNull(route("127.0.0.1:9090", "example.com", "/nothing"));
    }

    @Test
    void configSnapshotIsKept() {
        SluiceConfig config = router.config();
        assertEquals(4, config.servers().size());
    }
}
