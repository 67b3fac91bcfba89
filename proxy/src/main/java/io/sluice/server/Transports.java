package io.sluice.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.sluice.config.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.channels.spi.SelectorProvider;
import java.util.function.Supplier;

/**
 * The one place that picks a transport. {@code auto} means epoll where it loads, else NIO; io_uring only
 * when asked for (measured against epoll in loadtests/results/uring-2026-11-27-s21.md). A native transport
 * that was asked for but cannot load falls back to the next one that can, io_uring to epoll to NIO, with the
 * reason logged once: a container whose seccomp profile refuses io_uring still starts, on epoll.
 */
public record Transports(String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerChannel> serverChannelClass,
                         Class<? extends SocketChannel> clientChannelClass,
                         Class<? extends DatagramChannel> datagramChannelClass, boolean reusePort) {
    private static final Logger log = LoggerFactory.getLogger(Transports.class);

    public static Transports select(Transport wanted) {
        return select(wanted, Transports::ioUringMissing, Transports::epollMissing);
    }

    /**
     * {@code ioUringMissing} and {@code epollMissing} answer why that transport cannot load, or {@code null}
     * when it can; each is asked only when its transport is wanted, so picking epoll never loads io_uring's
     * native library.
     */
    static Transports select(Transport wanted, Supplier<Throwable> ioUringMissing, Supplier<Throwable> epollMissing) {
        if (wanted == Transport.IO_URING) {
            Throwable cause = ioUringMissing.get();
            if (cause == null) {
                return ioUring();
            }
            Transports fallback = epollMissing.get() == null ? epoll() : nio();
            log.warn("transport io_uring is not available ({}); using {}", cause.toString(), fallback.name());
            return fallback;
        }
        if (wanted == Transport.EPOLL || wanted == Transport.AUTO) {
            Throwable cause = epollMissing.get();
            if (cause == null) {
                return epoll();
            }
            log.warn("transport epoll is not available ({}); using nio", cause.toString());
        }
        return nio();
    }

    private static Throwable ioUringMissing() {
        return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
    }

    private static Throwable epollMissing() {
        return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
    }

    /**
     * A listening socket for {@code host}. An IPv4 literal gets an IPv4 socket instead of the dual-stack IPv6
     * one epoll and NIO open by default: it accepts the same clients, and each connection it accepts is a
     * plain IPv4 socket rather than an IPv6 one carrying a mapped address, which the kernel sets up and tears
     * down for less. io_uring offers no choice and keeps its default.
     */
    ServerChannel newServerChannel(String host) {
        if (NetUtil.isValidIpV4Address(host)) {
            if (serverChannelClass == EpollServerSocketChannel.class) {
                return new EpollServerSocketChannel(SocketProtocolFamily.INET);
            }
            if (serverChannelClass == NioServerSocketChannel.class) {
                return new NioServerSocketChannel(SelectorProvider.provider(), SocketProtocolFamily.INET);
            }
        }
        return new ReflectiveChannelFactory<>(serverChannelClass).newChannel();
    }

    /**
     * Whether an accepted connection's read interest can be armed before it registers with its loop
     * ({@link ReadInterestOnAccept}): epoll only, where every loop accepts on its own socket.
     */
    boolean armsReadOnAccept() {
        return serverChannelClass == EpollServerSocketChannel.class;
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, String prefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(prefix, true), ioHandlerFactory);
    }

    private static Transports epoll() {
        return new Transports("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class, true);
    }

    private static Transports ioUring() {
        return new Transports("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class, true);
    }

    private static Transports nio() {
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class, false);
    }
}
