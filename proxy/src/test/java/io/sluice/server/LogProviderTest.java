package io.sluice.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LogProvider} sets Logback up with {@link LogSetup} alone when no configuration file is asked for,
 * and leaves a requested file (here the tests' {@code logback-test.xml}) to Logback's own start-up path.
 */
class LogProviderTest {
    @Test
    void withoutAFileLogSetupConfiguresTheContextAndLogbacksInitializerDoesNotRun() {
        LogProvider provider = new LogProvider(false);
        provider.initialize();
        LoggerContext context = (LoggerContext) provider.getLoggerFactory();
        try {
            assertTrue(context.isStarted());
            assertEquals("default", context.getName());
            assertSame(provider.getMDCAdapter(), context.getMDCAdapter());
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            AsyncAppender writer = (AsyncAppender) root.getAppender("STDERR-WRITER");
            assertNotNull(writer, "LogSetup's appender");
            assertTrue(writer.isNeverBlock(), "a logging event loop never waits for stderr");
            assertNotNull(writer.getAppender("STDERR"), "the stderr appender behind it");
            assertNull(root.getAppender("STDOUT"), "logback-test.xml's appender");
            assertEquals(Level.toLevel(System.getenv("SLUICE_LOG_LEVEL"), Level.INFO), root.getLevel());
            assertEquals(Level.WARN, context.getLogger("io.netty").getLevel());
            assertEquals(0, configuratorMessages(context), "Logback's initializer reports the configurators it ran");
        } finally {
            context.stop();
        }
    }

    @Test
    void aRequestedFileIsReadByLogbacksOwnPath() {
        LogProvider provider = new LogProvider(true);
        provider.initialize();
        LoggerContext context = (LoggerContext) provider.getLoggerFactory();
        try {
            assertTrue(context.isStarted());
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            assertNotNull(root.getAppender("STDOUT"), "logback-test.xml's appender");
            assertNull(root.getAppender("STDERR-WRITER"), "LogSetup's appender");
            assertTrue(configuratorMessages(context) > 0, "what the first test checks is there on this path");
        } finally {
            context.stop();
        }
    }

    private static long configuratorMessages(LoggerContext context) {
        return context.getStatusManager().getCopyOfStatusList().stream().map(Status::getMessage)
                .filter(message -> message.toLowerCase().contains("configurator")).count();
    }

    @Test
    void theTestsLogbackFileCountsAsRequested() {
        assertTrue(LogSetup.fileRequested());
    }
}
