package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.http.ConnectionTimeouts;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The raw byte relay between a client and an upstream connection after a {@code 101 Switching
 * Protocols} (WebSocket). Both channels run on the same event loop with auto-read off: each side reads
 * again only while the other can take more bytes, and the tunnel closes when either side closes or when
 * no byte has moved either way for the idle timeout. A side that still has bytes queued then gets the idle
 * timeout once more to take them before it is closed regardless.
 *
 * <p>A client that reads a trickle moves bytes often enough that the idle timeout never runs out. The
 * client's {@code limits.min-send-rate} guard stays in its pipeline after the upgrade and measures the
 * tunnel's bytes as it measured the response's; when it reports the client too slow, both sides are closed at
 * once, as the HTTP path closes a connection below the minimum rate.
 */
final class Tunnel {
    private final Side client;
    private final Side upstream;
    private final long idleNanos;
    private long lastActivityNanos = System.nanoTime();
    private ScheduledFuture<?> idleTimer;
    private boolean closed;

    private Tunnel(Channel clientChannel, Channel upstreamChannel, Duration idleTimeout) {
        this.client = new Side(clientChannel);
        this.upstream = new Side(upstreamChannel);
        this.client.peer = upstream;
        this.upstream.peer = client;
        this.idleNanos = idleTimeout.toNanos();
    }

    /**
     * Joins the two channels. The client pipeline must already be out of HTTP mode; the upstream's HTTP
     * decoder and connection handler are replaced here, and bytes the decoder held past the 101 go to the client.
     */
    static void open(Channel clientChannel, Channel upstreamChannel, Duration idleTimeout) {
        Tunnel tunnel = new Tunnel(clientChannel, upstreamChannel, idleTimeout);
        clientChannel.pipeline().addLast("tunnel", tunnel.client);
        upstreamChannel.pipeline().addLast("tunnel", tunnel.upstream);
        upstreamChannel.pipeline().remove(UpstreamConnection.class);
        upstreamChannel.pipeline().remove(UpstreamResponseDecoder.class);
        tunnel.scheduleIdleTimer(tunnel.idleNanos);
        clientChannel.read();
        upstreamChannel.read();
    }

    private void scheduleIdleTimer(long nanos) {
        idleTimer = client.channel.eventLoop().schedule(this::idleTimerExpired, nanos, TimeUnit.NANOSECONDS);
    }

    private void idleTimerExpired() {
        if (closed) {
            return;
        }
        long quiet = System.nanoTime() - lastActivityNanos;
        if (quiet >= idleNanos) {
            close();
        } else {
            scheduleIdleTimer(idleNanos - quiet);
        }
    }

    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        for (Side side : new Side[] {client, upstream}) {
            if (side.channel.isActive()) {
                ChannelFuture flushed = side.channel.writeAndFlush(Unpooled.EMPTY_BUFFER);
                flushed.addListener(ChannelFutureListener.CLOSE);
                if (!flushed.isDone()) {
                    // the bytes still queued for a side that does not read would hold its connection open for
                    // good (the flush never completes): it gets the idle timeout to take them
                    side.channel.eventLoop().schedule(() -> side.channel.close(), idleNanos, TimeUnit.NANOSECONDS);
                }
            }
        }
    }

    /** A side's own limit ran out: nothing more is owed to it, and the other side has nobody to talk to. */
    private void abort() {
        closed = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
        }
        client.channel.close();
        upstream.channel.close();
    }

    /** One end of the tunnel, the last handler of its channel's pipeline. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private Side peer;
        private boolean paused;

        Side(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed || !(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            lastActivityNanos = System.nanoTime();
            peer.channel.write(msg, peer.channel.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (closed) {
                return;
            }
            peer.channel.flush();
            if (peer.channel.isWritable()) {
                channel.read();
            } else {
                paused = true;
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (channel.isWritable() && peer.paused && !closed) {
                peer.paused = false;
                peer.channel.read();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ConnectionTimeouts.Expired) {
                abort();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
