package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The exchange a location's handler writes through when its responses may be compressed. It decides on
 * the response head, then passes the body through the coding's encoder as it comes, compressing what
 * was written at each flush (or every {@link BodyEncoder#BATCH} bytes), so the handler's own backpressure
 * (writability, reads on demand) still governs the flow and memory stays at one batch plus the
 * encoder's window. An exchange that ends early drops the encoder before the handler hears of it
 * ({@link CompressingHandler} wraps the handler's listener).
 */
final class CompressingExchange extends ForwardingExchange {
    private static final Logger log = LoggerFactory.getLogger(CompressingExchange.class);

    private final ResponseCompression compression;
    private BodyEncoder encoder;

    CompressingExchange(Exchange exchange, ResponseCompression compression) {
        super(exchange);
        this.compression = compression;
    }

    @Override
    public ChannelFuture write(Object message) {
        return send(message, false);
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return send(message, true);
    }

    @Override
    public boolean rewritesBody() {
        return encoder != null;
    }

    /** Whether a body is compressed is only known from its head. */
    @Override
    public boolean mayRewriteBody() {
        return true;
    }

    private ChannelFuture send(Object message, boolean flush) {
        if (message instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            return head(response, flush);
        }
        if (encoder == null) {
            return pass(message, flush);
        }
        if (message instanceof HttpContent content) {
            return body(content, flush);
        }
        ReferenceCountUtil.release(message);
        return failed(new IllegalStateException(message.getClass().getSimpleName() + " in a compressed body"));
    }

    private ChannelFuture head(HttpResponse response, boolean flush) {
        HttpRequest request = delegate.request();
        if (response.status().code() == 304) {
            ResponseCompression.keepWeakenedTag(request, response);
        }
        if (!compression.compressible(request, response)) {
            return pass(response, flush);
        }
        ResponseCompression.varyOnAcceptEncoding(response.headers());
        ContentCoding coding = compression.coding(request);
        if (coding == null) {
            return pass(response, flush);
        }
        ResponseCompression.markEncoded(response.headers(), coding);
        if (HttpMethod.HEAD.equals(request.method())) {
            // the head a GET would get, without a body to compress
            return pass(response, flush);
        }
        encoder = compression.newEncoder(coding, delegate.channel());
        if (response instanceof FullHttpResponse full) {
            return whole(full, flush);
        }
        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        return pass(response, flush);
    }

    /** A response in one piece is compressed in one go and keeps an exact Content-Length. */
    private ChannelFuture whole(FullHttpResponse full, boolean flush) {
        List<ByteBuf> out = new ArrayList<>(2);
        ByteBuf body;
        try {
            encoder.add(full.content());
            encoder.finish(out);
            encoder = null;
            body = Unpooled.wrappedBuffer(out.toArray(ByteBuf[]::new));
        } catch (RuntimeException e) {
            out.forEach(ByteBuf::release);
            return failed(e);
        }
        FullHttpResponse compressed = new DefaultFullHttpResponse(full.protocolVersion(), full.status(), body,
                full.headers(), full.trailingHeaders());
        compressed.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return pass(compressed, flush);
    }

    private ChannelFuture body(HttpContent content, boolean flush) {
        boolean last = content instanceof LastHttpContent;
        boolean batchFull = encoder.add(content.content());
        if (!last && !flush && !batchFull) {
            return delegate.channel().newSucceededFuture();
        }
        List<ByteBuf> out = new ArrayList<>(2);
        try {
            if (last) {
                encoder.finish(out);
                encoder = null;
            } else {
                encoder.flush(out);
            }
        } catch (RuntimeException e) {
            out.forEach(ByteBuf::release);
            return failed(e);
        }
        if (last) {
            ByteBuf tail = out.isEmpty() ? Unpooled.EMPTY_BUFFER : out.remove(out.size() - 1);
            writeOut(out, false);
            return pass(new DefaultLastHttpContent(tail, ((LastHttpContent) content).trailingHeaders()), flush);
        }
        ChannelFuture future = writeOut(out, flush);
        return future != null ? future : delegate.channel().newSucceededFuture();
    }

    /** Writes compressed pieces, flushing after the last when asked; the last write's future, or {@code null}. */
    private ChannelFuture writeOut(List<ByteBuf> out, boolean flush) {
        ChannelFuture future = null;
        for (int i = 0; i < out.size(); i++) {
            future = pass(new DefaultHttpContent(out.get(i)), flush && i == out.size() - 1);
        }
        if (future == null && flush) {
            delegate.flush();
        }
        return future;
    }

    @Override
    public void flush() {
        if (encoder != null && encoder.hasPending()) {
            List<ByteBuf> out = new ArrayList<>(2);
            try {
                encoder.flush(out);
            } catch (RuntimeException e) {
                out.forEach(ByteBuf::release);
                failed(e);
                return;
            }
            writeOut(out, false);
        }
        delegate.flush();
    }

    private ChannelFuture pass(Object message, boolean flush) {
        return flush ? delegate.writeAndFlush(message) : delegate.write(message);
    }

    private ChannelFuture failed(RuntimeException cause) {
        log.warn("{}: compressing the response failed", delegate.location().configPath(), cause);
        discardEncoder();
        delegate.abort("compression failed: " + cause);
        return delegate.channel().newFailedFuture(cause);
    }

    void discardEncoder() {
        if (encoder != null) {
            BodyEncoder dropped = encoder;
            encoder = null;
            dropped.discard();
        }
    }

    @Override
    public void abort(String reason) {
        discardEncoder();
        delegate.abort(reason);
    }














}
