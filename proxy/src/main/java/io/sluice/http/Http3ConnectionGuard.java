package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http3.DefaultHttp3GoAwayFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Graceful drain of an HTTP/3 connection, last in its pipeline. Netty's HTTP/3 handler has no graceful
 * close of its own, so on {@link ConnectionEvent#DRAIN} this sends GOAWAY on the control stream (RFC 9114
 * §5.2), naming the first request stream it will not serve, lets the streams already open finish, and
 * then closes the connection with H3_NO_ERROR.
 *
 * <p>A connection with no request stream open drains the same way after {@code limits.keepalive-timeout},
 * as an idle HTTP/1.1 or HTTP/2 connection is closed (and as nginx closes HTTP/3 ones). The QUIC idle
 * timeout alone does not bound it: any packet restarts that, so a client that never asks for anything but
 * sends a frame to be ignored now and then would keep its connection, and its slot, for ever.
 */
public final class Http3ConnectionGuard extends ChannelInboundHandlerAdapter {
    private final ChannelFutureListener streamClosed = future -> streamClosed();
    private final boolean drainOnArrival;
    private final long keepaliveNanos;
    private ChannelHandlerContext ctx;
    /**
     * Checks, keepalive-timeout after the last request stream closed, whether the connection is still without
     * one; null while no check is pending.
     * A stream that opens does not cancel it, so a connection serving one request after another sets one
     * timer per keepalive-timeout, not one per request.
     */
    private ScheduledFuture<?> keepalive;
    /** When the last request stream closed (or the connection opened); meaningful while none is open. */
    private long idleSince;
    private int openStreams;
    /** The highest client-initiated bidirectional stream id seen; -4 before the first (ids go 0, 4, 8, ...). */
    private long lastStreamId = -4;
    private boolean draining;

    /**
     * {@code drainOnArrival}: the listener no longer accepts, so the connection drains once established;
     * {@code keepalive}: how long it may stay without a request stream.
     */
    public Http3ConnectionGuard(boolean drainOnArrival, Duration keepalive) {
        this.drainOnArrival = drainOnArrival;
        this.keepaliveNanos = keepalive.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        if (drainOnArrival) {
            drain();
        } else {
            awaitStream();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopKeepalive();
        ctx.fireChannelInactive();
    }

    /** Called on the connection's loop when a request stream is initialised. */
    public void streamOpened(QuicStreamChannel stream) {
        openStreams++;
        lastStreamId = Math.max(lastStreamId, stream.streamId());
        stream.closeFuture().addListener(streamClosed);
    }

    private void streamClosed() {
        if (--openStreams == 0) {
            if (draining) {
                closeGracefully();
            } else {
                awaitStream();
            }
        }
    }

    private void awaitStream() {
        idleSince = System.nanoTime();
        if (keepalive == null) {
            checkIdleIn(keepaliveNanos);
        }
    }

    private void checkIdleIn(long nanos) {
        if (ctx.channel().isActive()) {
            keepalive = ctx.executor().schedule(this::checkIdle, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void checkIdle() {
        keepalive = null;
        if (openStreams > 0) {
            // the next stream to close sets the timer again
            return;
        }
        long idle = System.nanoTime() - idleSince;
        if (idle >= keepaliveNanos) {
            drain();
        } else {
            checkIdleIn(keepaliveNanos - idle);
        }
    }

    private void stopKeepalive() {
        if (keepalive != null) {
            keepalive.cancel(false);
            keepalive = null;
        }
    }

    /** True once the connection was asked to drain: streams opened now are past the GOAWAY. */
    public boolean draining() {
        return draining;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ConnectionEvent.DRAIN) {
            drain();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void drain() {
        if (draining) {
            return;
        }
        draining = true;
        stopKeepalive();
        QuicStreamChannel control = Http3.getLocalControlStream(ctx.channel());
        if (control != null && control.isActive()) {
            control.writeAndFlush(new DefaultHttp3GoAwayFrame(lastStreamId + 4));
        }
        if (openStreams == 0) {
            closeGracefully();
        }
    }

    private void closeGracefully() {
        ((QuicChannel) ctx.channel()).close(true, Http3ErrorCode.H3_NO_ERROR.code(), Unpooled.EMPTY_BUFFER);
    }
}
