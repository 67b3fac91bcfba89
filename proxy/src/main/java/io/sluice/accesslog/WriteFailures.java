package io.sluice.accesslog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reports access-log write failures without flooding the error log: a full disk fails every flush, at up to
 * one a batch, and one warning per file per minute (as nginx does) says the same. Lines lost in between are
 * added up and named in the next warning, and once the file takes writes again one line says so. Used by the
 * writer thread only.
 */
final class WriteFailures {
    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final class Failing {
        long reportedAt;
        long lostSinceReport;
        long lost;
    }

    private final Map<Path, Failing> failing = new HashMap<>();

    void failed(Path path, int lines, IOException cause) {
        long now = System.nanoTime();
        Failing file = failing.get(path);
        if (file == null) {
            file = new Failing();
            file.reportedAt = now - REPORT_INTERVAL_NANOS;
            failing.put(path, file);
        }
        file.lost += lines;
        file.lostSinceReport += lines;
        if (now - file.reportedAt >= REPORT_INTERVAL_NANOS) {
            log.warn("access log {}: {}; {} lines lost (reported at most once a minute while it lasts)", path,
                    cause.toString(), file.lostSinceReport);
            file.reportedAt = now;
            file.lostSinceReport = 0;
        }
    }

    void succeeded(Path path) {
        if (failing.isEmpty()) {
            return;
        }
        Failing file = failing.remove(path);
        if (file != null) {
            log.info("access log {}: written again; {} lines were lost", path, file.lost);
        }
    }
}
