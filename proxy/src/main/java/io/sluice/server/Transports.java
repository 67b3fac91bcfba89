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

/**
 * The one place that picks a transport. {@code auto} means epoll where it loads, else NIO; io_uring only
 * when asked for (it is still young in Netty 4.2 and kernel support varies). A transport that was asked
 * for but cannot load falls back to NIO with the reason logged once.
 */
public record Transports(String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerChannel> serverChannelClass,
                         Class<? extends SocketChannel> clientChannelClass,
                         Class<? extends DatagramChannel> datagramChannelClass, boolean reusePort) {
    private static final Logger log = LoggerFactory.getLogger(Transports.class);

    public static Transports select(Transport wanted) {
        if (wanted == Transport.IO_URING) {
            if (IoUring.isAvailable()) {
                return ioUring();
            }
            log.warn("transport io_uring is not available ({}); using nio", IoUring.unavailabilityCause().toString());
            return nio();
        }
        if (wanted == Transport.EPOLL || wanted == Transport.AUTO) {
            if (Epoll.isAvailable()) {
                return epoll();
            }
            log.warn("transport epoll is not available ({}); using nio", Epoll.unavailabilityCause().toString());
        }
        return nio();
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
