package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

import java.util.function.Consumer;

/**
 * Translates the frames of one HTTP/2 stream into the HTTP/1-style messages the dispatcher serves, and the
 * response messages back into frames, writing them straight to the stream.
 *
 * <p>It does what Netty's frame-to-HTTP/1 codec does for a server, with less work per request, which is
 * where HTTP/2 spends its time: a request whose HEADERS frame ends the stream becomes a complete request over
 * the shared empty buffer at once (no buffer allocated and released, no second message built around it);
 * frames are written one by one with the caller's promise on the last, instead of combining a promise per
 * frame; and header fields are converted in one pass each way ({@link Http2Fields}), response headers without
 * being validated a second time.
 *
 * <p>One instance serves every stream of a connection: it keeps no state of its own, and as the handler the
 * stream multiplexer puts into each new stream's pipeline it also completes that pipeline ({@code streamOpened}).
 * That saves adding and removing an initializer per stream (building and tearing down stream pipelines was
 * ~10 % of the event loop's samples under h2load). It relies on the frame codec rejecting a request HEADERS
 * frame without its mandatory pseudo-header fields and trailers with any (see {@link Http2Connections}): a
 * HEADERS frame without {@code :method} is the trailers.
 */
@ChannelHandler.Sharable
public final class Http2StreamCodec extends ChannelDuplexHandler {
    private final Consumer<Channel> streamOpened;

    /** {@code streamOpened} adds the rest of a new stream's pipeline, after this codec. */
    public Http2StreamCodec(Consumer<Channel> streamOpened) {
        this.streamOpened = streamOpened;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        streamOpened.accept(ctx.channel());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame frame) {
            onHeaders(ctx, frame);
        } else if (msg instanceof Http2DataFrame frame) {
            // the frame's buffer moves into the message, which the dispatcher owns from here on
            ctx.fireChannelRead(frame.isEndStream() ? new DefaultLastHttpContent(frame.content())
                    : new DefaultHttpContent(frame.content()));
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        int streamId = frame.stream() == null ? 0 : frame.stream().id();
        Http2Headers headers = frame.headers();
        try {
            if (headers.method() == null) {
                // trailers: a second HEADERS frame, which ends the stream
                LastHttpContent trailers = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                HttpConversionUtil.addHttp2ToHttpHeaders(streamId, headers, trailers.trailingHeaders(),
                        HttpVersion.HTTP_1_1, true, true);
                ctx.fireChannelRead(trailers);
                return;
            }
            HttpRequest head = Http2Fields.request(streamId, headers, frame.isEndStream());
            if (frame.isEndStream()) {
                ctx.fireChannelRead(head);
                return;
            }
            if (!HttpUtil.isContentLengthSet(head)) {
                // DATA frames follow without a declared length: the HTTP/1 view of that is a chunked body
                head.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            ctx.fireChannelRead(head);
        } catch (Http2Exception e) {
            ctx.fireExceptionCaught(e);
        }
    }

    /**
     * A stream error the frame codec found in this stream's frames (a malformed request) stops here: the
     * multiplexer closes the stream right after with that error's code, as RFC 9113 §8.1.1 asks, whereas the
     * dispatcher would close it first and so reset it with CANCEL.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof Http2Exception.StreamException)) {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        try {
            if (msg instanceof HttpResponse response) {
                writeResponse(ctx, response, promise);
            } else if (msg instanceof LastHttpContent last) {
                writeLast(ctx, last, promise);
            } else if (msg instanceof HttpContent content) {
                ctx.write(new DefaultHttp2DataFrame(content.content(), false), promise);
            } else {
                ctx.write(msg, promise);
            }
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(e);
        }
    }

    private static void writeResponse(ChannelHandlerContext ctx, HttpResponse response, ChannelPromise promise) {
        Http2Headers headers = Http2Fields.response(response);
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            // an interim response is a HEADERS frame of its own; the stream goes on
            ReferenceCountUtil.release(response);
            ctx.write(new DefaultHttp2HeadersFrame(headers, false), promise);
            return;
        }
        if (!(response instanceof FullHttpResponse full)) {
            ctx.write(new DefaultHttp2HeadersFrame(headers, false), promise);
            return;
        }
        if (!full.content().isReadable() && full.trailingHeaders().isEmpty()) {
            full.release();
            ctx.write(new DefaultHttp2HeadersFrame(headers, true), promise);
            return;
        }
        // a failed HEADERS write closes the stream, which fails the frames after it with the caller's promise
        ctx.write(new DefaultHttp2HeadersFrame(headers, false), ctx.voidPromise());
        writeLast(ctx, full, promise);
    }

    /** The body's last part and its trailers; the stream ends with whichever frame comes last. */
    private static void writeLast(ChannelHandlerContext ctx, LastHttpContent last, ChannelPromise promise) {
        HttpHeaders trailers = last.trailingHeaders();
        if (trailers.isEmpty()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), true), promise);
            return;
        }
        // converted before the body leaves, so a failure here still owns (and releases) the whole message
        Http2Headers trailerFields = HttpConversionUtil.toHttp2Headers(trailers, false);
        if (last.content().isReadable()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), false), ctx.voidPromise());
        } else {
            last.release();
        }
        ctx.write(new DefaultHttp2HeadersFrame(trailerFields, true), promise);
    }
}
