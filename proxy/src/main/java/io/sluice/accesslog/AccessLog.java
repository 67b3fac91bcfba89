package io.sluice.accesslog;

import java.nio.file.Path;
import java.util.List;

/** One access log file and its format, as a server block configured it. */
public final class AccessLog {
    private final AccessLogWriter writer;
    private final Path path;
    private final AccessLogFormat format;

    AccessLog(AccessLogWriter writer, Path path, AccessLogFormat format) {
        this.writer = writer;
        this.path = path;
        this.format = format;
    }

    /** Hands an entry to the writer thread without waiting; false when it was dropped (queue full). */
    public boolean log(AccessLogEntry entry) {
        return writer.offer(this, entry);
    }

    /** The request headers each entry must carry, see {@link AccessLogEntry#headers()}. */
    public List<String> headerNames() {
        return format.headerNames();
    }

    Path path() {
        return path;
    }

    AccessLogFormat format() {
        return format;
    }
}
