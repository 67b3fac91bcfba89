package io.sluice.accesslog;

import io.sluice.config.AccessLogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread that writes access logs. Event loops {@link AccessLog#log hand} it entries through a
 * bounded queue and never wait: when the queue is full the entry is dropped and counted. The thread
 * formats, writes into a buffer per file and flushes whenever the queue runs dry, and at least every
 * second under constant load. {@link #reopen()} (SIGUSR1, admin {@code POST /reopen-logs}) closes every
 * file so that the next line opens it again, after logrotate has moved it away; the thread notices it
 * within a poll interval. The thread is never interrupted: that would close the file channels under it.
 */
public final class AccessLogWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    static final int DEFAULT_QUEUE = 65536;
    private static final long FLUSH_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Opens a log file for appending; tests substitute a slow disk. */
    public interface FileOpener {
        OutputStream open(Path path) throws IOException;
    }

    private record Pending(AccessLog target, AccessLogEntry entry) {
    }

    /** An open log file and the lines written into its buffer since its last flush (lost if the flush fails). */
    private static final class OpenFile {
        final OutputStream file;
        final OutputStream buffer;
        int unflushed;

        OpenFile(OutputStream file) {
            this.file = file;
            this.buffer = new BufferedOutputStream(file, 64 * 1024);
        }
    }

    private final BlockingQueue<Pending> queue;
    private final FileOpener opener;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final Map<Path, OpenFile> open = new HashMap<>();
    private final WriteFailures failures = new WriteFailures();
    private final Thread thread;
    private volatile boolean reopenRequested;
    private volatile boolean closed;

    public AccessLogWriter() {
        this(DEFAULT_QUEUE, AccessLogWriter::append);
    }

    public AccessLogWriter(int queueCapacity, FileOpener opener) {
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.opener = opener;
        this.thread = new Thread(this::run, "sluice-access-log");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private static OutputStream append(Path path) throws IOException {
        Path parent = path.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** A log target for one configuration's access-log settings, or {@code null} when logging is off. */
    public AccessLog target(AccessLogConfig config) {
        return config.enabled() ? new AccessLog(this, config.path(), AccessLogFormat.compile(config.format())) : null;
    }

    boolean offer(AccessLog target, AccessLogEntry entry) {
        if (closed || !queue.offer(new Pending(target, entry))) {
            dropped.increment();
            return false;
        }
        return true;
    }

    /** Closes every open file; each is opened again, at its configured path, by its next line. */
    public void reopen() {
        reopenRequested = true;
    }

    public long dropped() {
        return dropped.sum();
    }

    public long written() {
        return written.sum();
    }

    private void run() {
        StringBuilder line = new StringBuilder(512);
        List<Pending> batch = new ArrayList<>(256);
        long lastFlush = System.nanoTime();
        while (!closed || !queue.isEmpty()) {
            Pending first;
            try {
                first = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // nobody interrupts this thread (an interrupt would close the file channels); keep going
                continue;
            }
            // checked after the poll: an entry queued after reopen() was called must go to the new file
            if (reopenRequested) {
                reopenRequested = false;
                closeAll();
            }
            if (first != null) {
                batch.add(first);
                queue.drainTo(batch, 1023);
                for (Pending pending : batch) {
                    write(pending, line);
                }
                batch.clear();
            }
            if (queue.isEmpty() || System.nanoTime() - lastFlush >= FLUSH_INTERVAL_NANOS) {
                flushAll();
                lastFlush = System.nanoTime();
            }
        }
        closeAll();
    }

    private void write(Pending pending, StringBuilder line) {
        line.setLength(0);
        pending.target().format().format(pending.entry(), line);
        Path path = pending.target().path();
        OpenFile file = open.get(path);
        try {
            if (file == null) {
                file = new OpenFile(opener.open(path));
                open.put(path, file);
            }
            file.unflushed++;
            file.buffer.write(line.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            lose(path, file == null ? 1 : file.unflushed, e);
        }
    }

    private void flushAll() {
        for (Path path : List.copyOf(open.keySet())) {
            flush(path);
        }
    }

    private boolean flush(Path path) {
        OpenFile file = open.get(path);
        try {
            file.buffer.flush();
        } catch (IOException e) {
            lose(path, file.unflushed, e);
            return false;
        }
        if (file.unflushed > 0) {
            written.add(file.unflushed);
            file.unflushed = 0;
            failures.succeeded(path);
        }
        return true;
    }

    /**
     * Lines that did not reach the file: counted, reported (at most once a minute per file), and the file closed
     * without writing its buffer again, so that the next line opens it anew.
     */
    private void lose(Path path, int lines, IOException cause) {
        dropped.add(lines);
        failures.failed(path, lines, cause);
        closeFile(open.remove(path));
    }

    private void closeAll() {
        for (Path path : List.copyOf(open.keySet())) {
            if (flush(path)) {
                closeFile(open.remove(path));
            }
        }
    }

    private static void closeFile(OpenFile file) {
        if (file == null) {
            return;
        }
        try {
            file.file.close();
        } catch (IOException e) {
            log.warn("access log: close failed: {}", e.toString());
        }
    }

    /** Writes what is queued, closes the files and stops the thread. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
