package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * The strict HTTP/1.1 request decoder of a client connection. It emits the messages an HTTP/2 stream's
 * request arrives as: a request with a body is an {@code HttpRequest}, then {@code HttpContent}s and one
 * {@code LastHttpContent}, trailers on it; a request without one is a single {@code FullHttpRequest}
 * with an empty body. Everything downstream reads the same messages whatever the protocol, but this
 * decoder reads a head at a fraction of the cost:
 * the bytes of a head are copied once into a per-thread array and split, checked and turned into
 * strings there, well-known field names, methods and versions are shared constants rather than new
 * objects, and the header map does not validate again what the parser already refused.
 *
 * <p>It accepts only what every other parser reads the same way (RFC 9112): CRLF line ends and nothing
 * else, no CR or control character inside a line, one SP between the parts of the request line, token
 * characters in method and field names, no whitespace before a field's colon, no obs-fold, exactly one
 * valid Content-Length or exactly one {@code Transfer-Encoding: chunked} (not both, and no
 * Transfer-Encoding on HTTP/1.0), hexadecimal chunk sizes that fit a long, well-formed chunk extensions and
 * a CRLF after every chunk's data. A request line longer than {@code maxInitialLine} fails with
 * {@link TooLongHttpLineException} (414), a header section or trailer section over {@code maxHeaderSize}
 * with {@link TooLongHttpHeaderException} (431). A failure is reported the way Netty's decoder reports it:
 * a request (before its head was complete) or a last content (in its body) whose decoder result is the
 * failure; every byte after it is discarded, since nothing that follows can be framed safely.
 *
 * <p>Bodies stream: each content holds at most {@code maxChunkSize} bytes, a slice of the bytes read.
 */
class Http1RequestDecoder extends Http1MessageDecoder {
    private HttpMethod method;
    private String uri;
    private HttpVersion version;
    private int contentLengths;
    private String contentLength;
    private int transferEncodings;
    private String transferEncoding;
    private int hosts;

    Http1RequestDecoder(int maxInitialLine, int maxHeaderSize, int maxChunkSize) {
        super(maxInitialLine, maxHeaderSize, maxChunkSize);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        try {
            decodeMessages(in, out);
        } catch (DecoderException e) {
            fail(in, out, e);
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        switch (state) {
            case HEADERS, FIXED_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS ->
                    fail(in, out, new PrematureChannelClosureException("connection closed before the request ended"));
            default -> {
            }
        }
    }

    /** Decodes until the bytes run out or one request has ended, so a handler may change protocol between requests. */
    private void decodeMessages(ByteBuf in, List<Object> out) {
        for (;;) {
            switch (state) {
                case START_LINE, HEADERS -> {
                    if (!readSection(in, out)) {
                        return;
                    }
                    if (state == State.START_LINE) {
                        return;
                    }
                }
                case FIXED_BODY -> {
                    readFixedBodyPieces(in, out);
                    return;
                }
                case CHUNK_SIZE -> {
                    if (!readChunkSize(in)) {
                        return;
                    }
                }
                case CHUNK_DATA -> {
                    if (!readChunkData(in, out)) {
                        return;
                    }
                }
                case CHUNK_END -> {
                    if (!readChunkEnd(in)) {
                        return;
                    }
                }
                case TRAILERS -> {
                    readSection(in, out);
                    return;
                }
                case BROKEN -> {
                    in.skipBytes(in.readableBytes());
                    return;
                }
            }
        }
    }

    @Override
    protected String startLineName() {
        return "request line";
    }

    @Override
    protected void startLine(byte[] bytes, int start, int end) {
        int methodEnd = start;
        while (methodEnd < end && HttpTokens.isTokenChar(bytes[methodEnd])) {
            methodEnd++;
        }
        if (methodEnd == start || methodEnd == end || bytes[methodEnd] != SP) {
            throw new Malformed("invalid method in request line");
        }
        int targetStart = methodEnd + 1;
        int targetEnd = targetStart;
        int hash = 0;
        boolean query = false;
        while (targetEnd < end && isTargetChar(bytes[targetEnd])) {
            byte b = bytes[targetEnd++];
            hash = 31 * hash + b;
            query |= b == '?';
        }
        if (targetEnd == targetStart || targetEnd == end || bytes[targetEnd] != SP) {
            throw new Malformed("invalid request target");
        }
        version = HttpTokens.version(bytes, targetEnd + 1, end);
        if (version == null) {
            throw new Malformed("invalid HTTP version");
        }
        method = HttpTokens.method(bytes, start, methodEnd);
        uri = HeadStrings.target(bytes, targetStart, targetEnd, hash, query);
    }

    /** Visible ASCII and obs-text: the target is checked as a path later, this only frames it. */
    private static boolean isTargetChar(byte b) {
        return b > SP && b != 0x7f || b < 0;
    }

    @Override
    protected AsciiString fieldName(byte[] bytes, int start, int end) {
        return HttpTokens.fieldName(bytes, start, end);
    }

    @Override
    protected void headerField(AsciiString name, String value) {
        if (name == HttpHeaderNames.CONTENT_LENGTH) {
            contentLengths++;
            contentLength = value;
        } else if (name == HttpHeaderNames.TRANSFER_ENCODING) {
            transferEncodings++;
            transferEncoding = value;
        } else if (name == HttpHeaderNames.HOST && ++hosts > 1) {
            // refused here as the validator would, so that it need not look for a second one
            throw new Malformed("more than one Host header");
        }
        headers.add(name, value);
    }

    /** The head is complete: decides the body's framing (RFC 9112 §6.3), refusing every ambiguous case. */
    @Override
    protected void endHead(List<Object> out) {
        boolean chunked = false;
        long length = 0;
        if (transferEncodings > 0) {
            if (transferEncodings > 1 || !"chunked".equalsIgnoreCase(transferEncoding)) {
                throw new Malformed("Transfer-Encoding other than exactly chunked");
            }
            if (contentLengths > 0) {
                throw new Malformed("both Content-Length and Transfer-Encoding");
            }
            if (version.minorVersion() == 0 && version.majorVersion() == 1) {
                throw new Malformed("Transfer-Encoding in an HTTP/1.0 request");
            }
            chunked = true;
        } else if (contentLengths > 0) {
            if (contentLengths > 1) {
                throw new Malformed("more than one Content-Length");
            }
            length = contentLength(contentLength);
        }
        // method and target were checked while parsing: the request need not scan them again; nor need the
        // validator look at framing and field values, refused here by its rules
        if (chunked || length > 0) {
            DefaultHttpRequest request = new DefaultHttpRequest(version, method, uri, headers, false);
            request.setDecoderResult(RequestValidator.FIELDS_CHECKED);
            out.add(request);
            if (chunked) {
                state = State.CHUNK_SIZE;
            } else {
                remaining = length;
                state = State.FIXED_BODY;
            }
            return;
        }
        // no body: head and end in one message, as HTTP/2 hands on a request that ended with its HEADERS, so
        // the connection does not pass an empty end through its pipeline, and its handler, once per request
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(version, method, uri, Unpooled.EMPTY_BUFFER, headers,
                EmptyHttpHeaders.INSTANCE, false);
        request.setDecoderResult(RequestValidator.FIELDS_CHECKED);
        out.add(request);
        messageEnded();
    }

    @Override
    protected HttpObject failedHead() {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/bad-request", Unpooled.EMPTY_BUFFER,
                HEADERS, TRAILERS);
    }

    @Override
    protected void messageEnded() {
        state = State.START_LINE;
        forget();
    }

    /** Drops the parts of the request just read: an idle connection keeps none of them. */
    @Override
    protected void forget() {
        super.forget();
        method = null;
        uri = null;
        version = null;
        contentLengths = 0;
        contentLength = null;
        transferEncodings = 0;
        transferEncoding = null;
        hosts = 0;
    }
}
