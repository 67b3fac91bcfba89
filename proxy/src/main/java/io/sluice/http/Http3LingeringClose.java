package io.sluice.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/3 request stream only once the client's side of it has ended, so that QUIC gives the client
 * its place for a stream back. QUIC (quiche) forgets a stream, and raises the client's stream limit with
 * MAX_STREAMS, only when both directions are over and the application has read the end of the client's
 * side (its FIN or its RESET_STREAM). A stream closed before that, with a request still arriving, or with
 * the FIN not yet read, stays counted: a client whose streams Sluice ends early (a timeout, a response sent
 * before the request body ended, a reset) would lose one place per stream until its connection is useless.
 * Answering with STOP_SENDING does not help: it makes quiche drop what arrives on the stream, the client's
 * answering RESET_STREAM then often goes unnoticed, and the stream is never forgotten.
 *
 * <p>So a close of a stream whose request has not been read to its end lingers: the response side is already
 * over (its FIN sent, or reset by {@link Http3UnfinishedResponses}), and this handler, first in the stream's
 * pipeline, reads and drops the rest of the request until the client ends or resets its side, then closes.
 * Nothing reaches the HTTP/3 codec or the handlers behind it meanwhile. A client that has not ended its side
 * after {@link #LINGER_NANOS} is sent STOP_SENDING (H3_NO_ERROR: Sluice has answered, RFC 9114 §4.1.1) and the
 * stream closes; such a client may lose that stream's place, which costs only its own connection.
 */
public final class Http3LingeringClose extends ChannelDuplexHandler {
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** The close that waits for the client's side to end; null while the stream is not lingering. */
    private ChannelPromise closing;
    private ScheduledFuture<?> giveUp;

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        if (closing != null) {
            if (!promise.isVoid()) {
                stream.closeFuture().addListener(new PromiseNotifier<>(promise));
            }
            return;
        }
        if (stream.isInputShutdown() || !stream.isActive()) {
            ctx.close(promise);
            return;
        }
        closing = promise;
        giveUp = ctx.executor().schedule(() -> {
            stream.shutdownInput(Http3ErrorCode.H3_NO_ERROR.code());
            finish(ctx);
        }, LINGER_NANOS, TimeUnit.NANOSECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing != null) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (closing != null) {
            ctx.read();
        } else {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (closing != null && (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete)) {
            // the client's FIN: its side is over
            finish(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing != null) {
            // the client reset its side (or reading failed): its side is over either way
            finish(ctx);
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closing != null) {
            finish(ctx);
        }
        ctx.fireChannelInactive();
    }

    private void finish(ChannelHandlerContext ctx) {
        ChannelPromise promise = closing;
        closing = null;
        giveUp.cancel(false);
        ctx.close(promise);
    }
}
