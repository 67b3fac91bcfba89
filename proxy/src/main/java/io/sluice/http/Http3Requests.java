package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http3.HttpConversionUtil;
import io.netty.util.concurrent.Future;

import java.util.concurrent.TimeUnit;

/**
 * Between the HTTP/3 frame-to-HTTP/1 codec and the dispatcher of a request stream. The codec cannot know
 * from a HEADERS frame whether a body follows (HTTP/3 has no end-of-stream flag on it; the stream's FIN
 * comes separately, often in the same packet, sometimes in the next), so it marks every request without
 * Content-Length as chunked, and a GET would reach an upstream as a chunked request with an empty body.
 * This holds such a head back until the next piece of the stream, for at most {@link #FIN_WAIT_MILLIS}: if
 * that is the end of the stream, the request goes on complete, without body and without the chunked
 * marking, like an HTTP/2 request whose HEADERS ended the stream ({@link Http2BodilessRequests}); body data,
 * or nothing in time (a client that waits for the response before it sends), lets it go on as a streamed
 * request. It also removes the {@code x-http3-*} headers the translation adds, so they are neither routed
 * on nor forwarded.
 */
public final class Http3Requests extends ChannelInboundHandlerAdapter {
    static final long FIN_WAIT_MILLIS = 50;

    private HttpRequest held;
    private Future<?> holdTimer;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && !(msg instanceof FullHttpRequest)) {
            stripTranslationHeaders(request.headers());
            if (HttpUtil.isContentLengthSet(request) || HttpUtil.is100ContinueExpected(request)) {
                // the client framed its body, or waits for our answer before sending it: nothing to learn by waiting
                ctx.fireChannelRead(request);
            } else {
                held = request;
                holdTimer = ctx.executor().schedule(() -> releaseHeld(ctx), FIN_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        if (held != null && msg instanceof LastHttpContent last && !last.content().isReadable()
                && last.trailingHeaders().isEmpty()) {
            HttpRequest request = takeHeld();
            last.release();
            request.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            ctx.fireChannelRead(new DefaultFullHttpRequest(request.protocolVersion(), request.method(),
                    request.uri(), Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE));
            return;
        }
        releaseHeld(ctx);
        ctx.fireChannelRead(msg);
    }

    private void releaseHeld(ChannelHandlerContext ctx) {
        if (held != null) {
            ctx.fireChannelRead(takeHeld());
        }
    }

    private HttpRequest takeHeld() {
        HttpRequest request = held;
        held = null;
        holdTimer.cancel(false);
        holdTimer = null;
        return request;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (holdTimer != null) {
            holdTimer.cancel(false);
        }
    }

    private static void stripTranslationHeaders(HttpHeaders headers) {
        for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
            headers.remove(name.text());
        }
    }
}
