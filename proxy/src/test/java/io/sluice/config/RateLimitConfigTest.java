package io.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitConfigTest {
    private static final String CONFIG = """
            sluice {
              rate-limit-zones {
                per-ip { max-keys = 50000 }
                per-key { max-keys = 1000, idle-timeout = 10m }
              }
              servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                { match = "/api/", return { body = "api" }
                  rate-limit { zone = "per-ip", key = "$remote_addr", rate = 100r/s, burst = 50, nodelay = true }
                  limit-conn { zone = "per-ip", key = "$remote_addr", max = 10 } }
                { match = "/login", return { body = "login" }
                  rate-limit { zone = "per-key", key = "$host:$header:X-Api-Key$uri", rate = 30r/m, status = 503 } }
                { match = "/", return { body = "root" } }
              ] } ]
            }
            """;

    @TempDir
    Path dir;

    @Test
    void readsZonesAndLimits() {
        SluiceConfig config = ConfigLoader.parse(CONFIG, dir);
        List<LocationConfig> locations = config.servers().get(0).locations();
        RateLimitConfig api = locations.get(0).requestLimits().rate();
        assertEquals("per-ip", api.zone());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10), api.intervalNanos());
        assertEquals(50, api.burst());
        assertTrue(api.nodelay());
        assertEquals(429, api.status());
        assertEquals(List.of(VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.REMOTE_ADDR))), api.key().parts());
        LimitConnConfig conn = locations.get(0).requestLimits().conn();
        assertEquals(10, conn.max());
        assertEquals(503, conn.status());

        RateLimitConfig login = locations.get(1).requestLimits().rate();
        assertEquals(TimeUnit.SECONDS.toNanos(2), login.intervalNanos());
        assertFalse(login.nodelay());
        assertEquals(503, login.status());
        assertEquals(List.of(VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.HOST)), new VariableText.Part(null, ":"),
                VariableText.Part.of(new RequestVariable(RequestVariable.Kind.HEADER, "x-api-key")),
                VariableText.Part.of(RequestVariable.of(RequestVariable.Kind.URI))), login.key().parts());
        assertSame(RequestLimits.NONE, locations.get(2).requestLimits());

        assertEquals(50_000, config.rateLimitZones().get("per-ip").maxKeys());
        assertEquals(Duration.ofSeconds(1), config.rateLimitZones().get("per-ip").idleTimeout(),
                "51 requests at 100r/s drain in 510 ms; the idle timeout is at least a second");
        assertEquals(Duration.ofMinutes(10), config.rateLimitZones().get("per-key").idleTimeout());
    }

    @Test
    void theExampleIsValid() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/rate-limiting.conf"));
        RateLimitConfig login = config.servers().get(0).locations().get(0).requestLimits().rate();
        assertEquals(TimeUnit.SECONDS.toNanos(6), login.intervalNanos());
        assertEquals(Duration.ofSeconds(36), config.rateLimitZones().get("per-ip").idleTimeout(), "6 requests at 10r/m");
        assertEquals(20, config.servers().get(0).locations().get(1).requestLimits().conn().max());
    }

    @Test
    void idleTimeoutDefaultsToTheLongestBurstOfTheZone() {
        SluiceConfig config = ConfigLoader.parse(CONFIG.replace("per-key { max-keys = 1000, idle-timeout = 10m }",
                "per-key { max-keys = 1000 }").replace("rate = 30r/m, status = 503", "rate = 30r/m, burst = 9"), dir);
        assertEquals(Duration.ofSeconds(20), config.rateLimitZones().get("per-key").idleTimeout());
        assertNull(config.servers().get(0).locations().get(1).requestLimits().conn());
    }

    @Test
    void theDiffShowsChangedZonesAndLimits() {
        SluiceConfig before = ConfigLoader.parse(CONFIG, dir);
        SluiceConfig after = ConfigLoader.parse(CONFIG.replace("max-keys = 50000", "max-keys = 60000")
                .replace("max = 10", "max = 12"), dir);
        assertEquals(List.of("~ server listening on [127.0.0.1:8080] location /api/ (return 200: settings changed)",
                "~ rate-limit-zones changed"), ConfigDiff.between(before, after));
    }

    @Test
    void unknownZoneIsAnErrorWithFileAndLine() {
        String text = CONFIG.replace("zone = \"per-key\"", "zone = \"per-kye\"");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of("sluice.conf:11: servers[0].locations[1].rate-limit.zone: no zone named \"per-kye\""
                + " in rate-limit-zones (known: per-ip, per-key)"), e.problems());
    }

    @Test
    void badValuesAreReportedEachWithItsLine() {
        String text = CONFIG
                .replace("rate = 100r/s, burst = 50", "rate = 100r/h, burst = -1")
                .replace("max = 10", "max = 0, status = 200")
                .replace("$host:$header:X-Api-Key$uri", "$remote_address");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of(
                "sluice.conf:8: servers[0].locations[0].rate-limit.rate: \"100r/h\" is not a rate such as 10r/s or 30r/m"
                        + " (at least 1)",
                "sluice.conf:8: servers[0].locations[0].rate-limit.burst: must be between 0 and 1000000",
                "sluice.conf:9: servers[0].locations[0].limit-conn.max: required: the requests of one key that may be"
                        + " in progress at once (at least 1)",
                "sluice.conf:9: servers[0].locations[0].limit-conn.status: must be between 400 and 599",
                "sluice.conf:11: servers[0].locations[1].rate-limit.key: unknown variable $remote_address in"
                        + " \"$remote_address\" (known: $remote_addr, $scheme, $host, $uri, $args, $request_uri, $request_method,"
                        + " $http_NAME or $header:NAME, $cookie_NAME or $cookie:NAME)"), e.problems());
    }

    @Test
    void anIdleTimeoutShorterThanABurstTakesToDrainIsAnError() {
        String text = CONFIG.replace("idle-timeout = 10m", "idle-timeout = 5s").replace("status = 503", "burst = 4");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of("sluice.conf:4: rate-limit-zones.per-key.idle-timeout: shorter than the 10000ms a full burst"
                + " of servers[0].locations[1] takes to drain; raise it or leave it out"), e.problems());
    }

    @Test
    void delayNeedsTheBurstAndNoNodelay() {
        SluiceConfig config = ConfigLoader.parse(CONFIG.replace("rate = 30r/m, status = 503",
                "rate = 30r/m, burst = 8, delay = 3"), dir);
        RateLimitConfig login = config.servers().get(0).locations().get(1).requestLimits().rate();
        assertEquals(3, login.undelayed());
        assertEquals(50, config.servers().get(0).locations().get(0).requestLimits().rate().undelayed(), "nodelay");
        String text = CONFIG.replace("nodelay = true", "nodelay = true, delay = 5")
                .replace("rate = 30r/m, status = 503", "rate = 30r/m, burst = 2, delay = 3");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of(
                "sluice.conf:8: servers[0].locations[0].rate-limit.delay: not with nodelay = true, which serves the whole"
                        + " burst at once",
                "sluice.conf:11: servers[0].locations[1].rate-limit.delay: must be between 0 and burst (2)"), e.problems());
    }

    @Test
    void aHeaderVariableNeedsAName() {
        String text = CONFIG.replace("$host:$header:X-Api-Key$uri", "$header:");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of("sluice.conf:11: servers[0].locations[1].rate-limit.key: a header variable needs a name,"
                + " e.g. $header:X-Api-Key or $http_x_api_key (in \"$header:\")"), e.problems());
    }

    @Test
    void unknownKeysInsideALimitAreReported() {
        String text = CONFIG.replace("nodelay = true", "no-delay = true");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(List.of("sluice.conf:8: servers[0].locations[0].rate-limit.no-delay: unknown key"
                + " (did you mean \"nodelay\"?)"), e.problems());
    }
}
