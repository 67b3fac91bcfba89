package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A complete response whose body buffer, made by {@link #body}, keeps {@link #HEADROOM} unused bytes in
 * front of the body. The HTTP/1.1 encoder writes the head into them when it fits, so head and body leave
 * as one buffer without allocating another or copying the body (a small static file: one allocation, one
 * {@code pread} into it, one socket write). Elsewhere (HTTP/2, a decorator that rebuilds the response, a
 * head too large) it is an ordinary complete response. Copies and duplicates are plain responses: only
 * the body this response owns alone is ever written into.
 */
public final class HeadroomResponse extends DefaultFullHttpResponse {
    /** Enough for the heads Sluice writes in front of static files, HSTS and Cache-Control included. */
    public static final int HEADROOM = 512;

    public HeadroomResponse(HttpResponseStatus status, ByteBuf body, HttpHeaders headers) {
        super(HttpVersion.HTTP_1_1, status, body, headers, EmptyHttpHeaders.INSTANCE);
    }

    /** An empty body buffer for {@code length} bytes, with the headroom in front of its reader index. */
    public static ByteBuf body(ByteBufAllocator alloc, int length) {
        ByteBuf body = alloc.ioBuffer(HEADROOM + length);
        body.writerIndex(HEADROOM).readerIndex(HEADROOM);
        return body;
    }
}
