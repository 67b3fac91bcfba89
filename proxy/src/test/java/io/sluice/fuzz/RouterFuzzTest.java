package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.ConfigLoader;
import io.sluice.http.Authority;
import io.sluice.http.RequestPath;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.routing.ExchangeRecorders;
import io.sluice.routing.Route;
import io.sluice.routing.Router;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Any host and path route without error, and every normalised path finds a location under a "/" prefix. */
class RouterFuzzTest {
    private static final Router ROUTER = Router.compile(ConfigLoader.parse("""
            sluice { servers = [
              { listen = [ "127.0.0.1:8080" ], locations = [
                  { match = "/", return { body = "root" } }
                  { match = "= /exact", return { body = "exact" } }
                  { match = "^~ /assets/", return { body = "assets" } }
                  { match = "~* \\\\.(png|jpe?g)$", return { body = "images" } }
                  { match = "~ ^/api/v[0-9]+/", return { body = "api" } } ] }
              { listen = [ "127.0.0.1:8080" ], server-names = [ "a.test", "*.b.test" ], locations = [
                  { match = "/", return { body = "named" } } ] }
            ] }
            """, Path.of(".")), location -> null,
            new ExchangeRecorders(new SluiceMetrics(), new AccessLogWriter()));

    @FuzzTest(maxDuration = "5m")
    void everyRequestFindsARoute(String host, String rawPath) {
        if (rawPath == null) {
            return;
        }
        String hostName = Authority.hostOf(host);
        String path = RequestPath.normalize(rawPath);
        if (path == null) {
            return;
        }
        Route route = ROUTER.forAddress("127.0.0.1:8080").select(hostName == null ? "" : hostName).match(path);
        assertNotNull(route, "a \"/\" location matches every path");
        assertTrue(route.location().match().kind() != null);
    }
}
