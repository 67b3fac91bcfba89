package io.sluice.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link LogLine} writes what Logback's pattern layout wrote with the pattern Sluice used before it. */
class LogLineTest {
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0}: %msg%n";

    private final LoggerContext context = new LoggerContext();
    private final PatternLayout pattern = new PatternLayout();
    private final LogLine line = new LogLine();

    LogLineTest() {
        pattern.setContext(context);
        pattern.setPattern(PATTERN);
        pattern.start();
        line.setContext(context);
        line.start();
    }

    @Test
    void linesMatchThePattern() {
        assertMatchesPattern(event("io.sluice.server.Launcher", Level.INFO, "draining for up to {}", null, "PT30S"));
        assertMatchesPattern(event("io.sluice.tls.TlsContexts", Level.WARN, "{} expires in {} days", null, "a.pem", 3));
        assertMatchesPattern(event("NoPackage", Level.DEBUG, "plain", null));
        assertMatchesPattern(event("io.netty.channel.DefaultChannelPipeline", Level.ERROR, "50% {} done", null));
    }

    @Test
    void exceptionsWithCausesMatchThePattern() {
        IOException cause = new IOException("disk gone");
        assertMatchesPattern(event("io.sluice.accesslog.AccessLogWriter", Level.ERROR, "cannot write {}",
                new IllegalStateException("writer failed", cause), "access.log"));
    }

    private LoggingEvent event(String logger, Level level, String message, Throwable thrown, Object... args) {
        Logger named = context.getLogger(logger);
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), named, level, message, thrown, args);
        event.setTimeStamp(1_795_707_894_123L);
        return event;
    }

    private void assertMatchesPattern(LoggingEvent event) {
        assertEquals(pattern.doLayout(event), line.doLayout(event));
    }
}
