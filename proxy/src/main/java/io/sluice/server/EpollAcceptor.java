package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes each connection an epoll listening socket accepts, in place of Netty's bootstrap acceptor and
 * {@link io.netty.channel.ChannelInitializer}: it arms the connection's read interest, builds its pipeline
 * and registers it with the listener's own loop, which is where it lives (one listening socket per loop).
 *
 * <p>Why the read interest: Netty's epoll channel registers with no read interest and adds it on the first
 * {@code read()}: an {@code EPOLL_CTL_ADD} and then an {@code EPOLL_CTL_MOD} for every connection. Every
 * client pipeline asks to read as soon as the connection is active (auto-read is off only so that later
 * reads follow demand), so the interest is wanted from the start; armed here, that first {@code read()}
 * finds it set and costs no syscall, and the first readiness event is handled only after the pipeline has
 * been built and told the connection is active.
 *
 * <p>Why not the bootstrap's acceptor: with it every connection also made a registration promise and its
 * listener, an initializer handler with its own context, a pending-task and a set entry to remember that
 * it ran, all garbage once the connection is registered (~140 B per connection; on a fresh JVM, where
 * nothing is compiled yet, each garbage byte is an eden byte touched, so a burst of new connections grows
 * the process by it), and the compiler had that code to compile on the accept path.
 */
final class EpollAcceptor extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(EpollAcceptor.class);

    private final ConnectionBuilder builder;

    EpollAcceptor(ConnectionBuilder builder) {
        this.builder = builder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel connection = (Channel) msg;
        EventLoop loop = ctx.channel().eventLoop();
        // the only place auto-read goes off on epoll (no child option): cleared after the read below, it
        // would take the interest away again
        connection.config().setAutoRead(false);
        connection.unsafe().beginRead();
        boolean admitted;
        try {
            admitted = builder.build(connection, loop);
        } catch (RuntimeException e) {
            log.warn("{}: could not set up the connection", connection.remoteAddress(), e);
            admitted = false;
        }
        // the void promise: a failed registration closes the connection, and its close future tells the
        // admission that counted it
        connection.unsafe().register(loop, connection.voidPromise());
        if (!admitted) {
            connection.close();
        }
    }
}
