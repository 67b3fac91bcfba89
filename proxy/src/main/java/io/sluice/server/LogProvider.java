package io.sluice.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.util.StatusListenerConfigHelper;
import ch.qos.logback.core.util.StatusPrinter;

/**
 * SLF4J's provider: Logback, with its context set up by {@link LogSetup} directly when no Logback
 * configuration file is asked for, and by Logback's own start-up path otherwise. That path (its
 * {@code ContextInitializer}) writes its status messages with invokedynamic string concatenation, the only
 * concatenation a Sluice process would run (Sluice itself is compiled without it), and the first one in a JVM
 * costs ~30 ms of one core before the first bind: the JDK builds its method-handle tree and loads ~30
 * classes for it, most of them generated.
 */
public final class LogProvider extends LogbackServiceProvider {
    private final boolean fileRequested;

    public LogProvider() {
        this(LogSetup.fileRequested());
    }

    LogProvider(boolean fileRequested) {
        this.fileRequested = fileRequested;
    }

    @Override
    public void initialize() {
        if (fileRequested) {
            super.initialize();
            return;
        }
        LoggerContext context = (LoggerContext) getLoggerFactory();
        context.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
        context.setMDCAdapter(getMDCAdapter());
        StatusListenerConfigHelper.installIfAsked(context);
        LogSetup.apply(context);
        StatusPrinter.printInCaseOfErrorsOrWarnings(context);
        context.start();
    }
}
