package io.sluice.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * Sluice's own log, set up in code: one {@link LogLine} per event on stderr, Netty at WARN, the level from
 * {@code SLUICE_LOG_LEVEL} (default {@code INFO}). Lines are written by a thread of their own from a bounded
 * queue, never by the thread that logs: stderr is often a pipe to a log collector, and when the collector
 * falls behind a write to it waits, which on an event loop would stop every connection of the loop. When
 * the queue is full lines are dropped; a shutdown hook writes what is queued before the JVM exits. Logback finds this through the service loader before
 * its XML configurator; reading an XML file costs about a third of a second at start on one core (the
 * XML parser and Logback's configuration model, some 800 classes). An explicit
 * {@code -Dlogback.configurationFile} or a {@code logback-test.xml} on the class path still wins.
 * {@link LogProvider} runs this directly when no such file is asked for.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    /** Lines held while stderr is not taking them; INFO and below are dropped once it is four-fifths full. */
    private static final int QUEUE = 8192;

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (fileRequested()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Gives {@code context} Sluice's appender and levels. */
    static void apply(LoggerContext context) {
        LogLine layout = new LogLine();
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        AsyncAppender writer = new AsyncAppender();
        writer.setContext(context);
        writer.setName("STDERR-WRITER");
        writer.setQueueSize(QUEUE);
        writer.setNeverBlock(true);
        writer.addAppender(stderr);
        writer.start();
        Runtime.getRuntime().addShutdownHook(new Thread(writer::stop, "sluice-log-flush"));
        context.getLogger("io.netty").setLevel(Level.WARN);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getenv("SLUICE_LOG_LEVEL"), Level.INFO));
        root.addAppender(writer);
    }

    /** Whether a Logback configuration file is asked for, which Logback's own configurators then read. */
    static boolean fileRequested() {
        return System.getProperty("logback.configurationFile") != null
                || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null;
    }
}
