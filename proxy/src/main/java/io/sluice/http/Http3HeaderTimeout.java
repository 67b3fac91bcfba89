package io.sluice.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.Future;

import java.util.concurrent.TimeUnit;

/**
 * {@code limits.header-timeout} for an HTTP/3 request stream. QUIC opens a stream with its first bytes,
 * not with a complete HEADERS frame (as HTTP/2 does), and a client that keeps its connection alive could
 * otherwise hold streams open without ever sending a request. A stream whose head has not arrived in time
 * is reset with H3_REQUEST_INCOMPLETE; then this handler removes itself.
 */
public final class Http3HeaderTimeout extends ChannelInboundHandlerAdapter {
    private final long timeoutNanos;
    private Future<?> timer;

    public Http3HeaderTimeout(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            ((QuicStreamChannel) ctx.channel()).shutdown(Http3ErrorCode.H3_REQUEST_INCOMPLETE.code())
                    .addListener(ChannelFutureListener.CLOSE);
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
    }
}
