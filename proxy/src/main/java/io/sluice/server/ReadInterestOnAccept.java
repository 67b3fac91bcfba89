package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits on an epoll listening socket ahead of the bootstrap's acceptor and arms each accepted connection's
 * read interest before the connection registers with its loop, so that epoll adds the socket with
 * {@code EPOLLIN} at once.
 *
 * <p>Why: Netty's epoll channel registers with no read interest and adds it on the first {@code read()}:
 * an {@code EPOLL_CTL_ADD} and then an {@code EPOLL_CTL_MOD} for every connection. Every client pipeline
 * asks to read as soon as the connection is active (auto-read is off only so that later reads follow
 * demand), so the interest is wanted from the start; armed here, that first {@code read()} finds it set and
 * costs no syscall. Only on epoll with one listening socket per loop: the connection then registers with
 * this same loop, right away, and its first readiness event is handled only after its pipeline has been
 * built and told it is active. (On NIO a channel cannot arm anything before it has a selection key.)
 */
@ChannelHandler.Sharable
final class ReadInterestOnAccept extends ChannelInboundHandlerAdapter {
    static final ReadInterestOnAccept INSTANCE = new ReadInterestOnAccept();

    private ReadInterestOnAccept() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel connection = (Channel) msg;
        // the only place auto-read goes off on epoll (no child option): cleared after the read below, it
        // would take the interest away again
        connection.config().setAutoRead(false);
        connection.unsafe().beginRead();
        ctx.fireChannelRead(connection);
    }
}
