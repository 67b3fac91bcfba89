package io.sluice.server;

import io.sluice.config.ConfigLoader;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listen address another process holds. Netty's {@code sync()} rethrows the bind's checked
 * {@code BindException} without declaring it, so it slipped past handlers that caught only unchecked
 * exceptions: the start died with a stack trace instead of its one-line message, and a reload left the new
 * routes in place.
 */
class BindFailureIT {
    @TempDir
    Path directory;

    @Test
    void aTakenPortEndsTheStartWithStatusOneAndAMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = directory.resolve("sluice.conf");
            Files.writeString(config, """
                    sluice {
                      admin { listen = off }
                      access-log { format = off }
                      servers = [ { listen = [ "127.0.0.1:%d" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                    }""".formatted(taken.getLocalPort()));
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Launcher.run(config, new PrintStream(err, true, StandardCharsets.UTF_8), server -> null);
            assertEquals(1, status);
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("sluice: cannot start: "), err.toString());
        }
    }

    @Test
    void aReloadThatCannotBindKeepsTheRunningConfiguration() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "one" } } ] } ] }""");
             ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ReloadResult result = sluice.server().apply(ConfigLoader.parse("""
                    sluice { servers = [ { listen = [ "127.0.0.1:0", "127.0.0.1:%d" ],
                      locations = [ { match = "/", return { body = "two" } } ] } ] }""".formatted(taken.getLocalPort()),
                    directory));
            assertFalse(result.success());
            assertTrue(result.problems().get(0).startsWith("cannot bind"), result.problems().toString());
            try (RawHttp client = new RawHttp(sluice.port())) {
                RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals("one", new String(response.body(), StandardCharsets.US_ASCII));
            }
        }
    }

    /** Moving the only listener to a taken port: the old one must not be closed before the new one is bound. */
    @Test
    void aReloadThatMovesTheListenerToATakenPortKeepsTheOldListener() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "one" } } ] } ] }""");
             ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             RawHttp keptAlive = new RawHttp(sluice.port())) {
            assertEquals(200, keptAlive.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            ReloadResult result = sluice.server().apply(ConfigLoader.parse("""
                    sluice { servers = [ { listen = [ "127.0.0.1:%d" ],
                      locations = [ { match = "/", return { body = "two" } } ] } ] }""".formatted(taken.getLocalPort()),
                    directory));
            assertFalse(result.success());
            assertTrue(result.problems().get(0).startsWith("cannot bind"), result.problems().toString());
            RawHttp.Response onKeptAlive = keptAlive.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals("one", new String(onKeptAlive.body(), StandardCharsets.US_ASCII), "the open connection is kept");
            try (RawHttp client = new RawHttp(sluice.port())) {
                RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals("one", new String(response.body(), StandardCharsets.US_ASCII), "the old port still accepts");
            }
        }
    }
}
