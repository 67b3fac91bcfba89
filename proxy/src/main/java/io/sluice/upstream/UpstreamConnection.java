package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to an upstream server, the last handler of its pipeline. While it serves an exchange it
 * passes everything to that exchange's {@link UpstreamListener}; while it idles in its pool a read is kept
 * pending so that a close by the server is noticed, and any byte the server sends unasked makes the
 * connection untrustworthy, so it is closed.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

    private final ConnectionPool pool;
    private Channel channel;
    private UpstreamListener listener;
    private int requests;
    private long idleSinceNanos;

    UpstreamConnection(ConnectionPool pool) {
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    ConnectionPool pool() {
        return pool;
    }

    void attach(UpstreamListener listener) {
        this.listener = listener;
        requests++;
    }

    void detach() {
        listener = null;
    }

    int requests() {
        return requests;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    void markIdle(long nanos) {
        idleSinceNanos = nanos;
        channel.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener current = listener;
        if (current != null) {
            current.onUpstreamMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        listener = null;
        pool.closed(this);
        if (current != null) {
            current.onUpstreamClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("upstream {}: connection error", pool.server().display(), cause);
        ctx.close();
    }
}
