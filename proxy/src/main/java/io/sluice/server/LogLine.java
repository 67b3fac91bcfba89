package io.sluice.server;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * One line of Sluice's log, written out by hand: {@code 2026-11-26T15:44:53.924Z INFO  [main] Launcher: text},
 * then the stack trace of an exception, as Logback's pattern {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}
 * %-5level [%thread] %logger{0}: %msg%n} would write it. Logback's {@code PatternLayout} links 68
 * converter lambdas when its class initialises: about a tenth of the CPU samples of a start from a
 * class-data-sharing archive, for the five converters this pattern uses. Thread-safe: appenders may encode
 * concurrently.
 */
final class LogLine extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    private static final String LINE_END = System.lineSeparator();

    private final ZoneId zone = ZoneId.systemDefault();

    @Override
    public String doLayout(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(128);
        TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()).atZone(zone), line);
        String level = event.getLevel().toString();
        line.append(' ').append(level);
        for (int pad = level.length(); pad < 5; pad++) {
            line.append(' ');
        }
        String logger = event.getLoggerName();
        line.append(" [").append(event.getThreadName()).append("] ")
                .append(logger, logger.lastIndexOf('.') + 1, logger.length())
                .append(": ").append(event.getFormattedMessage()).append(LINE_END);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown));
        }
        return line.toString();
    }
}
