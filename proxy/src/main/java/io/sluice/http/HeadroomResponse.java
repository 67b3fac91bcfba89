package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.FileRegion;
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
 *
 * <p>A response made by {@link #withFile} has an empty buffer and a file region for its body, which the
 * HTTP/1.1 encoder writes after the head (by {@code sendfile}). Head and file then pass through the
 * pipeline as one message of the same type as every small response, so a larger file adds no message types
 * to the shared write path that the JIT compiler has already specialised, and costs one write instead of
 * three (head, region, end of message). Only a plain HTTP/1.1 connection may be given one: nothing else
 * knows the region is there.
 */
public final class HeadroomResponse extends DefaultFullHttpResponse {
    /** Enough for the heads Sluice writes in front of static files, HSTS and Cache-Control included. */
    public static final int HEADROOM = 512;

    /** The rest of the body after the buffer, or {@code null}; held and released along with the buffer. */
    private final FileRegion file;

    public HeadroomResponse(HttpResponseStatus status, ByteBuf body, HttpHeaders headers) {
        this(status, body, headers, null);
    }

    private HeadroomResponse(HttpResponseStatus status, ByteBuf body, HttpHeaders headers, FileRegion file) {
        super(HttpVersion.HTTP_1_1, status, body, headers, EmptyHttpHeaders.INSTANCE);
        this.file = file;
    }

    /**
     * A response whose whole body is {@code file}, for a plain HTTP/1.1 connection; the headers must carry
     * its Content-Length. Takes over the region's reference.
     */
    public static HeadroomResponse withFile(ByteBufAllocator alloc, HttpResponseStatus status, HttpHeaders headers,
                                            FileRegion file) {
        return new HeadroomResponse(status, body(alloc, 0), headers, file);
    }

    /** An empty body buffer for {@code length} bytes, with the headroom in front of its reader index. */
    public static ByteBuf body(ByteBufAllocator alloc, int length) {
        ByteBuf body = alloc.ioBuffer(HEADROOM + length);
        body.writerIndex(HEADROOM).readerIndex(HEADROOM);
        return body;
    }

    /** The file region that follows the buffer, or {@code null}. The caller holds no reference on it. */
    public FileRegion file() {
        return file;
    }

    /** Body bytes still to send: the buffer's and the file region's. */
    public long bodyBytes() {
        long bytes = content().readableBytes();
        return file == null ? bytes : bytes + file.count() - file.transferred();
    }

    // the response holds one reference on its buffer and one on its region; both move together

    @Override
    public HeadroomResponse retain() {
        return retain(1);
    }

    @Override
    public HeadroomResponse retain(int increment) {
        super.retain(increment);
        if (file != null) {
            file.retain(increment);
        }
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        boolean deallocated = super.release(decrement);
        if (file != null) {
            file.release(decrement);
        }
        return deallocated;
    }
}
