package io.sluice.routing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RefusalLogTest {
    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(RefusalLog.class);

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    private List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void aFloodOfRefusalsIsOneLinePerIntervalWithItsCount() {
        RefusalLog log = new RefusalLog("api.test location \"/api/\"", "rate-limit 10r/s burst 5 (zone per-ip)", 429, now::get);
        InetSocketAddress client = new InetSocketAddress("192.0.2.7", 40000);
        for (int i = 0; i < 100_000; i++) {
            log.refused(client);
        }
        assertEquals(List.of("api.test location \"/api/\": 1 request refused with 429 by rate-limit 10r/s burst 5"
                + " (zone per-ip) (latest from 192.0.2.7); at most one such line per 10s"), messages());
        now.addAndGet(TimeUnit.SECONDS.toNanos(9));
        log.refused(client);
        assertEquals(1, messages().size(), "9 s later: still counting");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        log.refused(client);
        assertEquals(2, messages().size());
        assertEquals("api.test location \"/api/\": 100001 requests refused with 429 by rate-limit 10r/s burst 5"
                + " (zone per-ip) (latest from 192.0.2.7); at most one such line per 10s", messages().get(1));
    }
}
