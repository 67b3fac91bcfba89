package io.sluice.balance;

import io.sluice.config.BalancingConfig;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.RequestVariable;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.util.HostAndPort;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalancingConfigTest {

    @Test
    void exampleConfigurationLoadsWithEveryKey() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/load-balancing.conf"));
        BalancingConfig app = config.upstreams().get("app").balancing();
        assertEquals(BalancingConfig.Algorithm.P2C, app.algorithm());
        assertEquals(new BalancingConfig.PassiveHealth(3, Duration.ofSeconds(10), false), app.passiveHealth());
        assertEquals(new BalancingConfig.HealthCheck("/healthz", Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 3,
                List.of(200, 204), 0.1, null), app.healthCheck());
        assertEquals(new BalancingConfig.RetryBudget(0.2, 10), app.retryBudget());
        assertEquals(Duration.ofSeconds(30), app.slowStart());
        assertEquals(100, app.maxConnections());
        assertEquals(new BalancingConfig.Queue(200, Duration.ofMillis(500)), app.queue());
        assertTrue(config.upstreams().get("app").servers().get(3).backup());
        BalancingConfig sessions = config.upstreams().get("sessions").balancing();
        assertEquals(BalancingConfig.Algorithm.HASH, sessions.algorithm());
        assertEquals("$cookie:session", sessions.hashKey().text());
        assertEquals(new RequestVariable(RequestVariable.Kind.COOKIE, "session"), sessions.hashKey().parts().get(0).variable());
        assertEquals(new UpstreamConfig.Dns(Duration.ofSeconds(5), List.of(new HostAndPort("10.96.0.10", 53))),
                config.upstreams().get("pods").dns());
    }

    @Test
    void hostNamesAreFollowedEveryFiveSecondsWithTheSystemNameServersByDefault() {
        UpstreamConfig config = BalancersTest.upstream("{ address = \"app.internal:80\" }", "");
        assertEquals(new UpstreamConfig.Dns(Duration.ofSeconds(5), List.of()), config.dns());
        assertEquals(List.of(new HostAndPort("127.0.0.1", 5353), new HostAndPort("::1", 53)),
                BalancersTest.upstream("{ address = \"app.internal:80\" }",
                        "resolve-interval = 0s, resolver { servers = [ \"127.0.0.1:5353\", \"[::1]\" ] }").dns().nameServers());
    }

    @Test
    void badResolverSettingsAreReportedWithTheirKeyPath() {
        String hocon = """
                sluice {
                  upstreams.app {
                    servers = [ { address = "app.internal:80" } ]
                    resolve-interval = 200ms
                    resolver { servers = [ "dns.internal" ], timeout = 1s }
                  }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""";
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(hocon, Path.of(".")));
        String all = String.join("\n", e.problems());
        for (String key : List.of("resolve-interval", "resolver.servers", "resolver.timeout")) {
            assertTrue(all.contains("upstreams.app." + key), key + " in\n" + all);
        }
    }

    @Test
    void defaultsAreRoundRobinWithPassiveHealthAndNoActiveChecks() {
        UpstreamConfig config = BalancersTest.upstream("{ address = \"10.0.0.1:80\" }", "");
        BalancingConfig balancing = config.balancing();
        assertEquals(BalancingConfig.Algorithm.ROUND_ROBIN, balancing.algorithm());
        assertEquals("$remote_addr", balancing.hashKey().text());
        assertEquals(3, balancing.passiveHealth().maxFails());
        assertNull(balancing.healthCheck());
    }

    @Test
    void hashKeysOfEveryKind() {
        for (String spelling : List.of("$header:X-User", "$http_x_user")) {
            assertEquals(new RequestVariable(RequestVariable.Kind.HEADER, "x-user"), BalancersTest.upstream(
                    "{ address = \"10.0.0.1:80\" }", "hash-key = \"" + spelling + "\"").balancing().hashKey().parts().get(0).variable());
        }
        assertTrue(BalancersTest.upstream("{ address = \"10.0.0.1:80\" }", "hash-key = \"$uri\"").balancing().hashKey()
                .onlyVariablesOf(RequestVariable.Kind.URI));
    }

    @Test
    void aGrpcCheckNeedsAnHttp2GroupAndNoHttpCheckKeys() {
        assertEquals("", BalancersTest.upstream("{ address = \"10.0.0.1:80\" }",
                "protocol = h2c, health-check { grpc-service = \"\" }").balancing().healthCheck().grpcService());
        String http1 = String.join("\n", assertThrows(InvalidConfigException.class, () -> BalancersTest.upstream(
                "{ address = \"10.0.0.1:80\" }", "health-check { grpc-service = \"\" }")).problems());
        assertTrue(http1.contains("upstreams.app.health-check") && http1.contains("h2"), http1);
        String mixed = String.join("\n", assertThrows(InvalidConfigException.class, () -> BalancersTest.upstream(
                "{ address = \"10.0.0.1:80\" }", "protocol = h2c, health-check { grpc-service = \"a\", path = \"/x\" }"))
                .problems());
        assertTrue(mixed.contains("grpc-service") && mixed.contains("path"), mixed);
    }

    @Test
    void badValuesAreReportedWithTheirKeyPath() {
        String hocon = """
                sluice {
                  upstreams.app {
                    servers = [ { address = "10.0.0.1:80" } ]
                    balance = fastest
                    hash-key = "$query"
                    passive-health { max-fails = -1, fail-timout = 5s }
                    health-check { path = "healthz", rise = 0, expect-status = [ 999 ], jitter = "150%" }
                    retry-budget { ratio = 2 }
                  }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""";
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(hocon, Path.of(".")));
        String all = String.join("\n", e.problems());
        for (String key : List.of("balance", "hash-key", "passive-health.max-fails", "passive-health.fail-timout",
                "health-check.path", "health-check.rise", "health-check.expect-status", "health-check.jitter",
                "retry-budget.ratio")) {
            assertTrue(all.contains("upstreams.app." + key), key + " in\n" + all);
        }
    }
}
