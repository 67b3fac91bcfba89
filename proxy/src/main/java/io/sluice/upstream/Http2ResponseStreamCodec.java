package io.sluice.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

import java.util.List;

/**
 * Netty's codec between an HTTP/2 upstream stream's frames and HTTP/1-style messages, with the
 * response's {@code :status} checked before Netty reads it. Netty allocates the body buffer of a response
 * it converts whole (a HEADERS frame that ends the stream, an interim 1xx) before it parses the status,
 * and does not release it when the parse fails: a server answering with a status such as {@code 2x0}
 * would leak a buffer per response (seen under paranoid leak detection with Netty 4.2.18). A status must
 * be three digits from 100 to 599, the range the HTTP/1.1 decoder holds upstreams to, and not 101, which
 * HTTP/2 forbids (RFC 9113 §8.6). A bad one fails the stream's decoding: the exchange answers 502.
 */
final class Http2ResponseStreamCodec extends Http2StreamFrameToHttpObjectCodec {
    Http2ResponseStreamCodec() {
        super(false);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        if (frame instanceof Http2HeadersFrame headers) {
            CharSequence status = headers.headers().status();
            // a HEADERS frame without :status is the trailers (the frame codec checks the pseudo-fields)
            if (status != null && !isValidStatus(status)) {
                throw Http2Exception.streamError(frame.stream() == null ? 0 : frame.stream().id(),
                        Http2Error.PROTOCOL_ERROR, "invalid :status \"%s\"", status);
            }
        }
        super.decode(ctx, frame, out);
    }

    static boolean isValidStatus(CharSequence status) {
        if (status.length() != 3) {
            return false;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = status.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            code = code * 10 + c - '0';
        }
        return code >= 100 && code <= 599 && code != 101;
    }
}
