package io.sluice.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.quic.QuicStreamChannel;

/**
 * Makes a request stream that is closed before its response has ended end with a reset, not a clean end.
 * Closing a QUIC stream channel sends FIN, and in HTTP/3 the stream's end is the response's end (RFC 9114
 * §4.1: there is no last chunk): a response cut short, by a send timeout, a client that stopped reading or an
 * upstream that failed half-way, would reach the client as a shorter but complete one, which it may cache or
 * act on. HTTP/2 resets such a stream (RST_STREAM); here a close before the response's end has been handed to
 * QUIC resets both directions with H3_REQUEST_CANCELLED (§4.1.1), and the client sees the response was cut.
 * It sits right after the frame codec, so it sees every close the handlers behind it make.
 */
public final class Http3UnfinishedResponses extends ChannelDuplexHandler {
    private boolean responseEnded;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof LastHttpContent) {
            ChannelPromise tracked = promise.unvoid();
            tracked.addListener((ChannelFutureListener) future -> responseEnded |= future.isSuccess());
            ctx.write(msg, tracked);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        if (!responseEnded && stream.isActive()) {
            stream.shutdown(Http3ErrorCode.H3_REQUEST_CANCELLED.code());
        }
        ctx.close(promise);
    }
}
