package io.sluice.admin;

import io.sluice.server.Launcher;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An admin port another process holds ends the start with status 1 and one line. Before, the bind's
 * checked {@code BindException} escaped the launcher: a stack trace, and a process that went on serving
 * without its admin listener and without its signal handlers.
 */
class AdminPortTakenIT {
    @TempDir
    Path directory;

    @Test
    void aTakenAdminPortEndsTheStartWithStatusOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = directory.resolve("sluice.conf");
            Files.writeString(config, """
                    sluice {
                      admin { listen = "127.0.0.1:%d" }
                      access-log { format = off }
                      servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                    }""".formatted(taken.getLocalPort()));
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Launcher.run(config, new PrintStream(err, true, StandardCharsets.UTF_8), AdminServer::start);
            assertEquals(1, status);
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("sluice: cannot start the admin listener on "),
                    err.toString());
        }
    }
}
