package io.sluice.config;

import io.sluice.server.Launcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final String GOOD = """
            sluice {
              workers = 2
              limits { max-body-size = 1m }
              upstreams { app { servers = [ { address = "127.0.0.1:9000", weight = 2 } ] } }
              servers = [ {
                listen = [ "127.0.0.1:8080", { address = "127.0.0.1:8081", proxy-protocol = true } ]
                server-names = [ "Example.com", "*.example.com" ]
                locations = [
                  { match = "= /healthz", return { status = 200, body = "ok" } }
                  { match = "/static/", static { root = "public" } }
                  { match = "~ ^/api/", proxy { upstream = app } }
                  { match = "/upload/", limits { max-body-size = 100m }, proxy { upstream = app } }
                  { match = "/", proxy { upstream = app } }
                ]
              } ]
            }
            """;

    @TempDir
    Path dir;

    @Test
    void readsTheContractExample() {
        SluiceConfig config = ConfigLoader.parse(GOOD, dir);
        assertEquals(2, config.workers());
        assertEquals(Duration.ofSeconds(30), config.shutdownTimeout());
        assertEquals(8192, config.limits().maxInitialLine());
        ServerConfig server = config.servers().get(0);
        assertEquals("example.com", server.serverNames().get(0));
        assertTrue(server.listen().get(1).proxyProtocol());
        LocationConfig upload = server.locations().get(3);
        assertEquals(100L << 20, upload.bodyLimits().maxBodySize());
        assertEquals(1L << 20, server.locations().get(4).bodyLimits().maxBodySize());
        StaticConfig staticConfig = assertInstanceOf(StaticConfig.class, server.locations().get(1).action());
        assertEquals(dir.resolve("public"), staticConfig.root());
        assertEquals(LocationMatch.Kind.REGEX, server.locations().get(2).match().kind());
        assertEquals(2, config.upstreams().get("app").servers().get(0).weight());
    }

    @Test
    void typoInAKeyIsReportedWithLineAndSuggestion() {
        String text = GOOD.replace("limits { max-body-size = 1m }", "limits { max-body-sise = 1m }");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertEquals("sluice.conf:3: limits.max-body-sise: unknown key (did you mean \"max-body-size\"?)",
                e.problems().get(0));
    }

    @Test
    void adminLimitsDefaultAndAreChecked() {
        AdminConfig admin = ConfigLoader.parse(GOOD, dir).admin();
        assertEquals(Duration.ofSeconds(10), admin.requestTimeout());
        assertEquals(64, admin.maxConnections());
        String text = """
                sluice {
                  admin { listen = "127.0.0.1:9901", request-timeout = 0s, max-connections = 0 }
                  servers = [ { listen = [ "127.0.0.1:8080" ], locations = [ { match = "/", return { body = "a" } } ] } ]
                }
                """;
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).contains("admin.request-timeout"), e.getMessage());
        assertTrue(e.problems().get(1).contains("admin.max-connections: must be at least 1"), e.getMessage());
    }

    @Test
    void loopStallWarningDefaultsToASecondAndCannotBeShorterThanTheBeat() {
        assertEquals(Duration.ofSeconds(1), ConfigLoader.parse(GOOD, dir).loopStallWarning());
        String text = """
                sluice {
                  loop-stall-warning = 50ms
                  servers = [ { listen = [ "127.0.0.1:8080" ], locations = [ { match = "/", return { body = "a" } } ] } ]
                }
                """;
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertTrue(e.getMessage().contains("loop-stall-warning: must be at least 100ms"), e.getMessage());
        assertEquals(Duration.ofMillis(250), ConfigLoader.parse(text.replace("50ms", "250ms"), dir).loopStallWarning());
    }

    @Test
    void wrongTypeIsReported() {
        String text = GOOD.replace("return { status = 200, body = \"ok\" }", "return { status = \"two hundred\" }");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals("sluice.conf:9: servers[0].locations[0].return.status: wrong type: got the string \"two hundred\"",
                e.problems().get(0));
    }

    @Test
    void unknownUpstreamNamesTheKnownOnes() {
        String text = GOOD.replace("~ ^/api/\", proxy { upstream = app }", "~ ^/api/\", proxy { upstream = ap }");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals("sluice.conf:11: servers[0].locations[2].proxy.upstream: no upstream named \"ap\" (known: app)",
                e.problems().get(0));
    }

    @Test
    void duplicateListenAddressInOneServerIsAnError() {
        String text = GOOD.replace("{ address = \"127.0.0.1:8081\", proxy-protocol = true }", "\"127.0.0.1:8080\"");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertEquals("sluice.conf:6: servers[0].listen[1]: duplicate listen address 127.0.0.1:8080", e.problems().get(0));
    }

    @Test
    void twoNamelessServersOnOneAddressAreAnError() {
        String text = """
                sluice { servers = [
                  { listen = [ "127.0.0.1:8080" ], locations = [ { match = "/", return { body = "a" } } ] }
                  { listen = [ "127.0.0.1:8080" ], locations = [ { match = "/", return { body = "b" } } ] }
                ] }
                """;
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        assertTrue(e.problems().get(0).startsWith("sluice.conf:3: servers[1].listen: duplicate listen address 127.0.0.1:8080"),
                e.getMessage());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String text = """
                sluice {
                  workers = many
                  transport = carrier-pigeon
                  servers = [ { listen = [ "nowhere" ], locations = [ { match = "relative", return { status = 301 } } ] } ]
                }
                """;
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir));
        String all = e.getMessage();
        assertTrue(all.contains("workers: must be auto or a number"), all);
        assertTrue(all.contains("transport: must be one of auto, epoll, io_uring, nio"), all);
        assertTrue(all.contains("servers[0].listen[0]: bad address \"nowhere\""), all);
        assertTrue(all.contains("servers[0].locations[0].match: a path must start with /"), all);
        assertTrue(all.contains("servers[0].locations[0].return.location: required for a redirect status 301"), all);
    }

    @Test
    void environmentSubstitutionOverrides() {
        String path = System.getenv("PATH");
        SluiceConfig config = ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                  { match = "/", return { body = ${PATH} } } ] } ] }
                """, dir);
        ReturnConfig action = assertInstanceOf(ReturnConfig.class, config.servers().get(0).locations().get(0).action());
        assertEquals(path, new String(action.body(), StandardCharsets.UTF_8));
    }

    @Test
    void testFlagExitsZeroOnGoodAndOneOnBadFilesNamingFileAndLine() throws IOException {
        Path good = Files.writeString(dir.resolve("sluice.conf"), GOOD);
        Path bad = Files.writeString(dir.resolve("bad.conf"), GOOD.replace("workers = 2", "workers = 2\n  wrokers = 3"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Launcher.test(good, new PrintStream(out), new PrintStream(err)));
        assertTrue(out.toString().contains("is ok"));
        assertEquals(1, Launcher.test(bad, new PrintStream(out), new PrintStream(err)));
        assertTrue(err.toString().contains("bad.conf:3: wrokers: unknown key (did you mean \"workers\"?)"), err.toString());
    }

    @Test
    void embeddedDefaultIsValid() {
        SluiceConfig config = ConfigLoader.loadDefault();
        assertEquals(8080, config.servers().get(0).listen().get(0).address().port());
    }

    @Test
    void minReceiveRateIsOffByDefaultInheritedAndOverriddenPerLocation() {
        assertEquals(0, ConfigLoader.parse(GOOD, dir).limits().body().minReceiveRate());
        String text = GOOD.replace("limits { max-body-size = 1m }", "limits { max-body-size = 1m, min-receive-rate = 2k }")
                .replace("limits { max-body-size = 100m }", "limits { max-body-size = 100m, min-receive-rate = 0 }");
        ServerConfig server = ConfigLoader.parse(text, dir).servers().get(0);
        assertEquals(0, server.locations().get(3).bodyLimits().minReceiveRate());
        assertEquals(2048, server.locations().get(4).bodyLimits().minReceiveRate());

        String negative = GOOD.replace("limits { max-body-size = 1m }", "limits { min-receive-rate = -1 }");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(negative, dir));
        assertTrue(e.problems().get(0).startsWith("sluice.conf:3: limits.min-receive-rate: "), e.getMessage());
    }
}
