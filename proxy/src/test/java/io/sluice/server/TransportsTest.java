package io.sluice.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.sluice.config.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Which transport is picked when one cannot load, and a listener on an IPv4 address is an IPv4 socket, not a
 * dual-stack IPv6 one, on epoll and NIO.
 */
class TransportsTest {
    private static final Throwable REFUSED = new UnsatisfiedLinkError("io_uring_setup: Operation not permitted");

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Transports.class);

    @BeforeEach
    void captureLog() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(lines);
    }

    @Test
    void ioUringRefusedFallsBackToEpollWithOneWarning() {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        Transports picked = Transports.select(Transport.IO_URING, () -> REFUSED, () -> null);
        assertEquals("epoll", picked.name());
        assertTrue(picked.reusePort(), "epoll keeps one listening socket per loop");
        assertEquals(List.of("transport io_uring is not available (" + REFUSED + "); using epoll"),
                lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        assertEquals(Level.WARN, lines.list.get(0).getLevel());
    }

    @Test
    void ioUringAndEpollMissingFallBackToNio() {
        Transports picked = Transports.select(Transport.IO_URING, () -> REFUSED, () -> REFUSED);
        assertEquals("nio", picked.name());
        assertEquals(1, lines.list.size(), lines.list.toString());
    }

    @Test
    void epollWantedNeverAsksAboutIoUring() {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        Transports picked = Transports.select(Transport.EPOLL, () -> {
            throw new AssertionError("io_uring's native library was probed although epoll was wanted");
        }, () -> null);
        assertEquals("epoll", picked.name());
        assertTrue(lines.list.isEmpty(), lines.list.toString());
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "NIO"})
    void ipv4AddressGetsAnIpv4Socket(Transport wanted) throws InterruptedException {
        Transports transports = Transports.select(wanted);
        assumeTrue(transports.name().equals(wanted.name().toLowerCase(Locale.ROOT)), wanted + " is not available here");
        assumeTrue(Files.exists(Path.of("/proc/net/tcp")), "no /proc/net/tcp to read socket families from");
        MultiThreadIoEventLoopGroup group = transports.newGroup(1, "transports-test");
        try {
            Channel listener = new ServerBootstrap()
                    .group(group)
                    .channelFactory(() -> transports.newServerChannel("127.0.0.1"))
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind("127.0.0.1", 0).sync().channel();
            try {
                int port = ((InetSocketAddress) listener.localAddress()).getPort();
                assertEquals(1, listening("/proc/net/tcp", port), "listed among the IPv4 sockets");
                assertEquals(0, listening("/proc/net/tcp6", port), "not among the IPv6 ones");
            } finally {
                listener.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    /** Sockets in LISTEN state on {@code port} in one of the tables {@code ss -ltn} reads. */
    private static long listening(String table, int port) {
        Path file = Path.of(table);
        if (!Files.exists(file)) {
            return 0;
        }
        String hexPort = ":" + String.format(Locale.ROOT, "%04X", port);
        try {
            return Files.readAllLines(file).stream()
                    .map(line -> line.trim().split("\\s+"))
                    .filter(fields -> fields.length > 3 && fields[1].endsWith(hexPort) && "0A".equals(fields[3]))
                    .count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
