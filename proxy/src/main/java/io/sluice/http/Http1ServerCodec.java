package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP/1.1 codec of a client connection: our strict request decoder ({@link Http1RequestDecoder}) and
 * Netty's response encoder with a cheaper way to write heads. It keeps what Netty's
 * {@code HttpServerCodec} adds to the pair: the method of every decoded request is remembered until its
 * response goes out, so the answer to HEAD carries no body and a 2xx to CONNECT no Transfer-Encoding, and
 * more than {@link #MAX_PIPELINE_DEPTH} unanswered requests fail the connection.
 *
 * <p>What differs is cost, not bytes: a head is serialised into a per-thread array and copied once (see
 * {@link HeadBytes}), and a complete response with a body of up to {@link #MERGE_BODY} bytes
 * leaves as a single buffer, so the socket write needs no promise combiner; a {@link HeadroomResponse}
 * gets its head written in front of its body, in the body's own buffer, and its file region, if it has one,
 * written after it.
 *
 * <p>Decoder and encoder are one handler: the codec is the decoder, and hands what it is asked to write to
 * its encoder with its own context. Netty's {@code CombinedChannelDuplexHandler} would give each half a
 * context of its own and pass every event on a connection through one more layer; a connection that opens
 * for one request builds and tears down its codec once, so that layer was paid once per connection too
 * (a check whether the handler is sharable, two contexts) beside a few calls per request.
 */
public final class Http1ServerCodec extends Http1RequestDecoder implements ChannelOutboundHandler {
    /** Unanswered requests a connection may have decoded ahead; the same bound as Netty's HttpServerCodec. */
    static final int MAX_PIPELINE_DEPTH = 128;
    /** A complete response's body up to this size is copied behind its head into one buffer. */
    static final int MERGE_BODY = 16 * 1024;

    private static final byte METHOD_HEAD = 1;
    private static final byte METHOD_CONNECT = 2;
    private static final byte METHOD_OTHER = 3;
    private static final int INLINE_METHODS = Long.SIZE / 2;

    /** Methods of the unanswered requests, two bits each, oldest in the lowest bits. */
    private long inlineMethods;
    private int inlineCount;
    /** Methods beyond the inline ones, allocated only for deep pipelines. */
    private ArrayDeque<Byte> moreMethods;
    private boolean closeAfterResponse;
    /** Too many pipelined requests: every byte that follows is dropped. */
    private boolean discarding;
    private final ResponseEncoder encoder = new ResponseEncoder();

    /** A request line over {@code maxInitialLine} bytes or headers over {@code maxHeaderSize} fail decoding. */
    public Http1ServerCodec(int maxInitialLine, int maxHeaderSize, int maxChunkSize) {
        super(maxInitialLine, maxHeaderSize, maxChunkSize);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (discarding) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        int first = out.size();
        super.decode(ctx, buffer, out);
        for (int i = first; i < out.size(); i++) {
            if (out.get(i) instanceof HttpRequest request && !rememberMethod(request.method())) {
                closeAfterResponse = true;
                discarding = true;
                for (int j = first; j < out.size(); j++) {
                    ReferenceCountUtil.release(out.get(j));
                }
                out.subList(first, out.size()).clear();
                throw new IllegalStateException("more than " + MAX_PIPELINE_DEPTH + " pipelined requests");
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        encoder.write(ctx, msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.close(promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
                        ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    private boolean rememberMethod(HttpMethod method) {
        int pending = inlineCount + (moreMethods == null ? 0 : moreMethods.size());
        if (pending >= MAX_PIPELINE_DEPTH) {
            return false;
        }
        byte flag = HttpMethod.HEAD.equals(method) ? METHOD_HEAD
                : HttpMethod.CONNECT.equals(method) ? METHOD_CONNECT : METHOD_OTHER;
        if (moreMethods == null && inlineCount < INLINE_METHODS) {
            inlineMethods |= (long) flag << (inlineCount * 2);
            inlineCount++;
        } else {
            // order is kept: once methods overflow, later ones queue behind them until the queue drains
            if (moreMethods == null) {
                moreMethods = new ArrayDeque<>(8);
            }
            moreMethods.add(flag);
        }
        return true;
    }

    /** The method of the oldest unanswered request (a response nobody asked for counts as "other"). */
    private byte nextMethod() {
        if (inlineCount > 0) {
            byte flag = (byte) (inlineMethods & 3);
            inlineMethods >>>= 2;
            inlineCount--;
            return flag;
        }
        if (moreMethods != null) {
            Byte flag = moreMethods.poll();
            if (moreMethods.isEmpty()) {
                moreMethods = null;
            }
            if (flag != null) {
                return flag;
            }
        }
        return METHOD_OTHER;
    }

    /** Netty's response encoder with the cheaper head; it runs with the codec's context, in no pipeline. */
    private final class ResponseEncoder extends HttpResponseEncoder {
        /** The method of the request the response being encoded answers. */
        private byte method;
        /** A head without its last content has been encoded: until that content, a complete response is an error. */
        private boolean midMessage;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (closeAfterResponse && msg instanceof LastHttpContent) {
                closeAfterResponse = false;
                promise = promise.unvoid().addListener(ChannelFutureListener.CLOSE);
            }
            super.write(ctx, msg, promise);
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (!midMessage && msg instanceof FullHttpResponse response && !HttpUtil.isTransferEncodingChunked(response)) {
                encodeComplete(ctx, response, out);
                return;
            }
            super.encode(ctx, msg, out);
            if (msg instanceof HttpMessage) {
                midMessage = !(msg instanceof LastHttpContent);
            } else if (msg instanceof LastHttpContent) {
                midMessage = false;
            }
        }

        /**
         * A complete, non-chunked response: the head, and a small body copied behind it, in one buffer; the
         * file region of a {@link HeadroomResponse} follows as a second write.
         */
        private void encodeComplete(ChannelHandlerContext ctx, FullHttpResponse response, List<Object> out) {
            try {
                boolean bodiless = isContentAlwaysEmpty(response);
                sanitizeHeadersBeforeEncode(response, bodiless);
                HeadBytes head = HeadBytes.get();
                head.statusLine(response);
                head.fields(response.headers(), true);
                ByteBuf content = response.content();
                int bodyLength = bodiless ? 0 : content.readableBytes();
                FileRegion file = bodiless || !(response instanceof HeadroomResponse headroom) ? null : headroom.file();
                if ((bodyLength > 0 || file != null) && response instanceof HeadroomResponse
                        && content.readerIndex() >= head.length()) {
                    int start = content.readerIndex() - head.length();
                    head.setInto(content, start);
                    content.readerIndex(start);
                    out.add(content.retain());
                } else {
                    boolean merge = bodyLength <= MERGE_BODY;
                    ByteBuf buf = ctx.alloc().buffer(head.length() + (merge ? bodyLength : 0));
                    out.add(buf);
                    head.writeTo(buf);
                    if (bodyLength > 0) {
                        if (merge) {
                            buf.writeBytes(content, content.readerIndex(), bodyLength);
                        } else {
                            out.add(content.retain());
                        }
                    }
                }
                if (file != null) {
                    // the head goes ahead on its own promise, so the response's promise is the region's alone
                    // and needs no promise combiner; a head that fails to go out closes the connection, which
                    // fails the region's write too
                    for (Object piece : out) {
                        ctx.write(piece);
                    }
                    out.clear();
                    out.add(file.retain());
                }
            } finally {
                response.release();
            }
        }

        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            HeadBytes fields = HeadBytes.get();
            fields.fields(headers, false);
            fields.writeTo(buf);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            // an interim response (100, 101) answers no request on its own: the final one still follows
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(response);
            }
            method = nextMethod();
            return method == METHOD_HEAD || super.isContentAlwaysEmpty(response);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse response, boolean bodiless) {
            // a successful CONNECT turns the connection into a tunnel: no message framing applies (RFC 9110 §9.3.6)
            if (!bodiless && method == METHOD_CONNECT && response.status().codeClass() == HttpStatusClass.SUCCESS) {
                response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                return;
            }
            super.sanitizeHeadersBeforeEncode(response, bodiless);
        }
    }
}
