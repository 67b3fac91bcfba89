package io.sluice.accesslog;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.config.AccessLogConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full disk under the access log. Before, every failed flush logged a warning (one per batch of lines, hundreds
 * a second under load), lines lost in a failed flush were counted as written, and the error log repeated the
 * same line for as long as the disk stayed full.
 */
class FullDiskAccessLogTest {
    private static final int LINES = 3000;

    /** The disk: refuses every write and flush while full, keeps what it is given otherwise. */
    private static final class Disk {
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        volatile boolean full = true;

        OutputStream open(Path path) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] bytes, int offset, int length) throws IOException {
                    if (full) {
                        throw new IOException("No space left on device");
                    }
                    synchronized (kept) {
                        kept.write(bytes, offset, length);
                    }
                }
            };
        }

        long lines() {
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8).lines().count();
            }
        }
    }

    private final Logger writerLog = (Logger) LoggerFactory.getLogger(AccessLogWriter.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        writerLog.addAppender(logged);
    }

    @AfterEach
    void release() {
        writerLog.detachAppender(logged);
    }

    private static AccessLogEntry entry(int n) {
        return new AccessLogEntry(1_700_000_000_000L, "192.0.2.7", 40000, "GET", "/line/" + n, "HTTP/1.1",
                "example.com", new String[] {null, null}, 200, 2, 0, 1_000_000, "example.com", "/", null, -1, -1);
    }

    @Test
    void aFullDiskIsReportedOnceAndEveryLostLineCountedThenWritingResumes() throws Exception {
        Disk disk = new Disk();
        try (AccessLogWriter writer = new AccessLogWriter(LINES, disk::open)) {
            AccessLog log = writer.target(new AccessLogConfig(Path.of("/logs/access.log"), "combined"));
            for (int n = 0; n < LINES; n++) {
                assertTrue(log.log(entry(n)));
                if (n % 100 == 99) {
                    Thread.sleep(10); // the writer empties the queue and flushes: a failed flush per batch
                }
            }
            awaitAccounted(writer, LINES);
            assertEquals(LINES, writer.dropped(), "every line of the full disk is lost");
            assertEquals(0, writer.written());
            List<String> warnings = lines(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("No space left on device"), warnings.get(0));

            disk.full = false;
            for (int n = 0; n < 10; n++) {
                assertTrue(log.log(entry(n)));
            }
            awaitAccounted(writer, LINES + 10);
            assertEquals(10, writer.written());
            assertEquals(10, disk.lines());
            assertTrue(lines(Level.INFO).stream().anyMatch(line -> line.contains("written again; " + LINES + " lines were lost")),
                    lines(Level.INFO).toString());
        }
    }

    private List<String> lines(Level level) {
        return logged.list.stream().filter(event -> event.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static void awaitAccounted(AccessLogWriter writer, long lines) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (writer.dropped() + writer.written() < lines && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(lines, writer.dropped() + writer.written(), "lines neither written nor counted as lost");
    }
}
