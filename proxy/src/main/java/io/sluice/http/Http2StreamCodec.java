package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
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
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * Translates the frames of one HTTP/2 stream into the HTTP/1-style messages the dispatcher serves, and the
 * response messages back into frames of the stream, written on the connection's context ({@link
 * Http2ClientStream} uses it both ways).
 *
 * <p>It does what Netty's frame-to-HTTP/1 codec does for a server, with less work per request, which is
 * where HTTP/2 spends its time: a request whose HEADERS frame ends the stream becomes a complete request over
 * the shared empty buffer at once (no buffer allocated and released, no second message built around it);
 * frames are written one by one with the caller's promise on the last, instead of combining a promise per
 * frame; and header fields are converted in one pass each way ({@link Http2Fields}), response headers without
 * being validated a second time. It relies on the frame codec rejecting a request HEADERS frame without its
 * mandatory pseudo-header fields and trailers with any (see {@link Http2Connections}): a HEADERS frame without
 * {@code :method} is the trailers.
 */
final class Http2StreamCodec {
    private Http2StreamCodec() {
    }

    /** A HEADERS frame as the dispatcher reads it: a request head, or the trailers that end the request. */
    static HttpObject message(Http2HeadersFrame frame) throws Http2Exception {
        int streamId = frame.stream() == null ? 0 : frame.stream().id();
        Http2Headers headers = frame.headers();
        if (headers.method() == null) {
            // trailers: a second HEADERS frame, which ends the stream
            LastHttpContent trailers = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            HttpConversionUtil.addHttp2ToHttpHeaders(streamId, headers, trailers.trailingHeaders(),
                    HttpVersion.HTTP_1_1, true, true);
            return trailers;
        }
        HttpRequest head = Http2Fields.request(streamId, headers, frame.isEndStream());
        if (!frame.isEndStream() && !HttpUtil.isContentLengthSet(head)) {
            // DATA frames follow without a declared length: the HTTP/1 view of that is a chunked body
            head.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return head;
    }

    /** A DATA frame as the dispatcher reads it; the frame's buffer moves into the message. */
    static HttpContent message(Http2DataFrame frame) {
        return frame.isEndStream() ? new DefaultLastHttpContent(frame.content()) : new DefaultHttpContent(frame.content());
    }

    /**
     * Writes a response message as the frames of {@code stream} on the connection's {@code ctx}: the head as
     * HEADERS, body parts as DATA, trailers as a last HEADERS frame.
     * {@code promise} is completed by the message's last frame; frames before it are written with {@code unheard}.
     */
    static void writeFrames(ChannelHandlerContext ctx, Http2FrameStream stream, Object msg, ChannelPromise promise,
                            ChannelPromise unheard) {
        try {
            if (msg instanceof HttpResponse response) {
                writeResponse(ctx, stream, response, promise, unheard);
            } else if (msg instanceof LastHttpContent last) {
                writeLast(ctx, stream, last, promise, unheard);
            } else if (msg instanceof HttpContent content) {
                ctx.write(new DefaultHttp2DataFrame(content.content(), false).stream(stream), promise);
            } else {
                throw new IllegalArgumentException("not a response message: " + msg.getClass().getName());
            }
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(e);
        }
    }

    private static void writeResponse(ChannelHandlerContext ctx, Http2FrameStream stream, HttpResponse response,
                                      ChannelPromise promise, ChannelPromise unheard) {
        Http2Headers headers = Http2Fields.response(response);
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            // an interim response is a HEADERS frame of its own; the stream goes on
            ReferenceCountUtil.release(response);
            ctx.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream), promise);
            return;
        }
        if (!(response instanceof FullHttpResponse full)) {
            ctx.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream), promise);
            return;
        }
        if (!full.content().isReadable() && full.trailingHeaders().isEmpty()) {
            full.release();
            ctx.write(new DefaultHttp2HeadersFrame(headers, true).stream(stream), promise);
            return;
        }
        // a failed HEADERS write closes the stream, which fails the frames after it with the caller's promise
        ctx.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream), unheard);
        writeLast(ctx, stream, full, promise, unheard);
    }

    /** The body's last part and its trailers; the stream ends with whichever frame comes last. */
    private static void writeLast(ChannelHandlerContext ctx, Http2FrameStream stream, LastHttpContent last,
                                  ChannelPromise promise, ChannelPromise unheard) {
        HttpHeaders trailers = last.trailingHeaders();
        if (trailers.isEmpty()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), true).stream(stream), promise);
            return;
        }
        // converted before the body leaves, so a failure here still owns (and releases) the whole message
        Http2Headers trailerFields = HttpConversionUtil.toHttp2Headers(trailers, false);
        if (last.content().isReadable()) {
            ctx.write(new DefaultHttp2DataFrame(last.content(), false).stream(stream), unheard);
        } else {
            last.release();
        }
        ctx.write(new DefaultHttp2HeadersFrame(trailerFields, true).stream(stream), promise);
    }
}
