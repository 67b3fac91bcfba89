package io.sluice.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects Netty's leak reports (logged at ERROR by ResourceLeakDetector) so tests can fail on them. */
public final class LeakReports extends AppenderBase<ILoggingEvent> {
    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        REPORTS.add(event.getFormattedMessage());
    }

    static List<String> drain() {
        List<String> copy = List.copyOf(REPORTS);
        REPORTS.clear();
        return copy;
    }
}
