package io.sluice.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.server.Launcher;
import io.sluice.testing.TlsTestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /**
     * The TLS rehearsal still runs on the blocking pool when the admin bind fails a moment after the listeners'
     * binds. The server's close used to release the certificate contexts under it: the rehearsal then failed
     * with an {@code IllegalReferenceCountException} logged as a warning on a start that was already ending.
     */
    @Test
    void aStartEndedByTheAdminPortWaitsForTheTlsRehearsalBeforeReleasingItsContexts() throws Exception {
        Logger rehearsalLog = (Logger) LoggerFactory.getLogger("io.sluice.server.TlsRehearsal");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        rehearsalLog.addAppender(lines);
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost", "EC", 256);
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path config = directory.resolve("sluice.conf");
            Files.writeString(config, TlsTestConfigs.answeringOk(
                            "{ address = \"127.0.0.1:0\", tls = true, http2 = true }", certificate.certificate(),
                            certificate.privateKey())
                    .replace("admin { listen = off }", "admin { listen = \"127.0.0.1:" + taken.getLocalPort() + "\" }"));
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Launcher.run(config, new PrintStream(err, true, StandardCharsets.UTF_8), AdminServer::start);
            assertEquals(1, status, err.toString(StandardCharsets.UTF_8));
            List<String> warnings = lines.list.stream()
                    .filter(line -> line.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
            assertFalse(warnings.stream().anyMatch(line -> line.contains("ReferenceCount")), warnings.toString());
        } finally {
            rehearsalLog.detachAppender(lines);
            certificate.delete();
        }
    }
}
