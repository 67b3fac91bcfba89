package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The strict HTTP/1.1 request decoder of a client connection. It emits what Netty's request decoder
 * emits (an {@code HttpRequest}, then {@code HttpContent}s and one {@code LastHttpContent}, trailers on
 * it), so everything downstream reads the same messages, but it reads a head at a fraction of the cost:
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
class Http1RequestDecoder extends ByteToMessageDecoder {
    /** A chunk-size line (size and extensions) longer than this is refused; real clients send a few bytes. */
    static final int MAX_CHUNK_LINE = 4096;
    /** A head normally fits in this many bytes: the first copy stops here when more is buffered behind it. */
    private static final int FIRST_WINDOW = 2048;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte SP = ' ';
    private static final byte HT = '\t';

    // the parser checks names and values; the map need not check them again
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory().withValidation(false);
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[FIRST_WINDOW];
        }
    };

    private enum State { REQUEST_LINE, HEADERS, FIXED_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, BROKEN }

    private final int maxInitialLine;
    private final int maxHeaderSize;
    private final int maxChunkSize;

    private State state = State.REQUEST_LINE;
    /** Bytes after the reader index already searched for the LF that ends the current line. */
    private int searched;
    /** Bytes of field lines (without their CRLF) in the header or trailer section read so far. */
    private int sectionBytes;
    private HttpMethod method;
    private String uri;
    private HttpVersion version;
    private HttpHeaders headers;
    private HttpHeaders trailers;
    private int contentLengths;
    private String contentLength;
    private int transferEncodings;
    private String transferEncoding;
    /** Body bytes still to come: of the whole body (Content-Length) or of the current chunk. */
    private long remaining;

    Http1RequestDecoder(int maxInitialLine, int maxHeaderSize, int maxChunkSize) {
        this.maxInitialLine = maxInitialLine;
        this.maxHeaderSize = maxHeaderSize;
        this.maxChunkSize = maxChunkSize;
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
                case REQUEST_LINE, HEADERS -> {
                    if (!readSection(in, out)) {
                        return;
                    }
                    if (state == State.REQUEST_LINE) {
                        return;
                    }
                }
                case FIXED_BODY -> {
                    readFixedBody(in, out);
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

    /**
     * Reads lines of the request head or the trailer section; true when the section ended. Complete lines
     * are consumed as they arrive, so an unfinished head holds at most one partial line in the buffer.
     */
    private boolean readSection(ByteBuf in, List<Object> out) {
        for (;;) {
            if (state == State.REQUEST_LINE) {
                skipEmptyLines(in);
            }
            int readable = in.readableBytes();
            int lineAllowance = state == State.REQUEST_LINE ? maxInitialLine + 2 : maxHeaderSize - sectionBytes + 2;
            int lf = lineEnd(in, lineAllowance);
            if (lf < 0) {
                return false;
            }
            // copy what may still belong to this section, bounded, and split it into lines in the array
            int sectionAllowance = state == State.REQUEST_LINE ? maxInitialLine + maxHeaderSize + 4 : lineAllowance;
            int window = Math.min(readable, sectionAllowance);
            if (window > FIRST_WINDOW) {
                window = Math.max(FIRST_WINDOW, lf - in.readerIndex() + 1);
            }
            byte[] bytes = scratch(window);
            in.getBytes(in.readerIndex(), bytes, 0, window);
            int consumed = 0;
            int lineStart = 0;
            boolean ended = false;
            while (!ended) {
                int end = indexOfLf(bytes, lineStart, window);
                if (end < 0) {
                    break;
                }
                if (end == lineStart || bytes[end - 1] != CR) {
                    throw new Malformed("line not ended by CRLF");
                }
                ended = line(bytes, lineStart, end - 1, out);
                lineStart = end + 1;
                consumed = lineStart;
            }
            in.skipBytes(consumed);
            if (ended) {
                return true;
            }
        }
    }

    /** CRLFs before a request line are ignored (RFC 9112 §2.2): some clients send one after a body. */
    private void skipEmptyLines(ByteBuf in) {
        int i = in.readerIndex();
        int end = in.writerIndex();
        while (i < end) {
            byte b = in.getByte(i);
            if (b != CR && b != LF) {
                break;
            }
            i++;
        }
        in.readerIndex(i);
    }

    /**
     * The index of the LF that ends the line at the reader index, or -1 while it has not arrived. Bytes
     * searched once are not searched again, so a head that trickles in costs linear time.
     */
    private int lineEnd(ByteBuf in, int allowance) {
        int start = in.readerIndex();
        int limit = start + Math.min(in.readableBytes(), allowance);
        int lf = start + searched < limit ? in.indexOf(start + searched, limit, LF) : -1;
        if (lf >= 0) {
            searched = 0;
            return lf;
        }
        if (limit - start >= allowance) {
            throw tooLong();
        }
        searched = limit - start;
        return -1;
    }

    private DecoderException tooLong() {
        return switch (state) {
            case REQUEST_LINE -> new TooLongHttpLineException("request line longer than " + maxInitialLine + " bytes");
            case HEADERS, TRAILERS -> new TooLongHttpHeaderException(
                    (state == State.HEADERS ? "header" : "trailer") + " section larger than " + maxHeaderSize + " bytes");
            default -> new Malformed("chunk size line longer than " + MAX_CHUNK_LINE + " bytes");
        };
    }

    private static int indexOfLf(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == LF) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] scratch(int size) {
        byte[] bytes = SCRATCH.get();
        if (bytes.length < size) {
            bytes = new byte[Math.max(size, bytes.length * 2)];
            SCRATCH.set(bytes);
        }
        return bytes;
    }

    /** One line of a head or trailer section, without its CRLF; true when it ended the section. */
    private boolean line(byte[] bytes, int start, int end, List<Object> out) {
        if (state == State.REQUEST_LINE) {
            if (end - start > maxInitialLine) {
                throw tooLong();
            }
            requestLine(bytes, start, end);
            state = State.HEADERS;
            sectionBytes = 0;
            headers = HEADERS.newHeaders();
            return false;
        }
        if (start == end) {
            if (state == State.HEADERS) {
                endHead(out);
            } else {
                out.add(trailers == null ? LastHttpContent.EMPTY_LAST_CONTENT
                        : new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, trailers));
                requestEnded();
            }
            return true;
        }
        sectionBytes += end - start;
        if (sectionBytes > maxHeaderSize) {
            throw tooLong();
        }
        field(bytes, start, end);
        return false;
    }

    private void requestLine(byte[] bytes, int start, int end) {
        int methodEnd = start;
        while (methodEnd < end && HttpTokens.isTokenChar(bytes[methodEnd])) {
            methodEnd++;
        }
        if (methodEnd == start || methodEnd == end || bytes[methodEnd] != SP) {
            throw new Malformed("invalid method in request line");
        }
        int targetStart = methodEnd + 1;
        int targetEnd = targetStart;
        while (targetEnd < end && isTargetChar(bytes[targetEnd])) {
            targetEnd++;
        }
        if (targetEnd == targetStart || targetEnd == end || bytes[targetEnd] != SP) {
            throw new Malformed("invalid request target");
        }
        version = HttpTokens.version(bytes, targetEnd + 1, end);
        if (version == null) {
            throw new Malformed("invalid HTTP version");
        }
        method = HttpTokens.method(bytes, start, methodEnd);
        uri = new String(bytes, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
    }

    /** Visible ASCII and obs-text: the target is checked as a path later, this only frames it. */
    private static boolean isTargetChar(byte b) {
        return b > SP && b != 0x7f || b < 0;
    }

    private void field(byte[] bytes, int start, int end) {
        byte first = bytes[start];
        if (first == SP || first == HT) {
            throw new Malformed("obsolete line folding");
        }
        int colon = start;
        while (colon < end && HttpTokens.isTokenChar(bytes[colon])) {
            colon++;
        }
        if (colon == start || colon == end || bytes[colon] != ':') {
            throw new Malformed("invalid header name");
        }
        int valueStart = colon + 1;
        int valueEnd = end;
        while (valueStart < valueEnd && (bytes[valueStart] == SP || bytes[valueStart] == HT)) {
            valueStart++;
        }
        while (valueEnd > valueStart && (bytes[valueEnd - 1] == SP || bytes[valueEnd - 1] == HT)) {
            valueEnd--;
        }
        for (int i = valueStart; i < valueEnd; i++) {
            byte b = bytes[i];
            if (b >= 0 && b < SP && b != HT || b == 0x7f) {
                throw new Malformed("control character in header value");
            }
        }
        AsciiString name = HttpTokens.fieldName(bytes, start, colon);
        String value = new String(bytes, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
        if (state == State.HEADERS) {
            if (name == HttpHeaderNames.CONTENT_LENGTH) {
                contentLengths++;
                contentLength = value;
            } else if (name == HttpHeaderNames.TRANSFER_ENCODING) {
                transferEncodings++;
                transferEncoding = value;
            }
            headers.add(name, value);
            return;
        }
        // framing fields mean nothing in a trailer and must not reach a peer as if they did
        if (name == HttpHeaderNames.CONTENT_LENGTH || name == HttpHeaderNames.TRANSFER_ENCODING
                || name == HttpHeaderNames.TRAILER) {
            return;
        }
        if (trailers == null) {
            trailers = TRAILERS.newHeaders();
        }
        trailers.add(name, value);
    }

    /** The head is complete: decides the body's framing (RFC 9112 §6.3), refusing every ambiguous case. */
    private void endHead(List<Object> out) {
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
        // method and target were checked while parsing: the request need not scan them again
        out.add(new DefaultHttpRequest(version, method, uri, headers, false));
        if (chunked) {
            state = State.CHUNK_SIZE;
        } else if (length > 0) {
            remaining = length;
            state = State.FIXED_BODY;
        } else {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            requestEnded();
        }
    }

    /** Plain digits, no sign, no leading zero, at most 18 of them: every parser reads such a value alike. */
    private static long contentLength(String value) {
        int length = value.length();
        if (length == 0 || length > 18 || length > 1 && value.charAt(0) == '0') {
            throw new Malformed("invalid Content-Length");
        }
        long result = 0;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new Malformed("invalid Content-Length");
            }
            result = result * 10 + (c - '0');
        }
        return result;
    }

    private void readFixedBody(ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int size = (int) Math.min(Math.min(in.readableBytes(), remaining), maxChunkSize);
            ByteBuf slice = in.readRetainedSlice(size);
            remaining -= size;
            if (remaining == 0) {
                out.add(new DefaultLastHttpContent(slice, TRAILERS));
                requestEnded();
                return;
            }
            out.add(new DefaultHttpContent(slice));
        }
    }

    private boolean readChunkSize(ByteBuf in) {
        int lf = lineEnd(in, MAX_CHUNK_LINE + 2);
        if (lf < 0) {
            return false;
        }
        int length = lf - in.readerIndex() + 1;
        byte[] bytes = scratch(length);
        in.getBytes(in.readerIndex(), bytes, 0, length);
        if (length < 2 || bytes[length - 2] != CR) {
            throw new Malformed("chunk size line not ended by CRLF");
        }
        long size = ChunkLine.size(bytes, length - 2);
        in.skipBytes(length);
        if (size == 0) {
            state = State.TRAILERS;
            sectionBytes = 0;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
        return true;
    }

    private boolean readChunkData(ByteBuf in, List<Object> out) {
        while (remaining > 0) {
            if (!in.isReadable()) {
                return false;
            }
            int size = (int) Math.min(Math.min(in.readableBytes(), remaining), maxChunkSize);
            out.add(new DefaultHttpContent(in.readRetainedSlice(size)));
            remaining -= size;
        }
        state = State.CHUNK_END;
        return true;
    }

    private boolean readChunkEnd(ByteBuf in) {
        if (in.readableBytes() < 2) {
            return false;
        }
        int at = in.readerIndex();
        if (in.getByte(at) != CR || in.getByte(at + 1) != LF) {
            throw new Malformed("chunk data not followed by CRLF");
        }
        in.skipBytes(2);
        state = State.CHUNK_SIZE;
        return true;
    }

    /** Reports the failure in the message Netty's decoder would use, and ignores everything after it. */
    private void fail(ByteBuf in, List<Object> out, Exception cause) {
        boolean inBody = state != State.REQUEST_LINE && state != State.HEADERS && state != State.BROKEN;
        state = State.BROKEN;
        forget();
        in.skipBytes(in.readableBytes());
        if (inBody) {
            LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, TRAILERS);
            last.setDecoderResult(DecoderResult.failure(cause));
            out.add(last);
        } else {
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                    "/bad-request", Unpooled.EMPTY_BUFFER, HEADERS, TRAILERS);
            request.setDecoderResult(DecoderResult.failure(cause));
            out.add(request);
        }
    }

    private void requestEnded() {
        state = State.REQUEST_LINE;
        forget();
    }

    /** Drops the parts of the request just read: an idle connection keeps none of them. */
    private void forget() {
        method = null;
        uri = null;
        version = null;
        headers = null;
        trailers = null;
        contentLengths = 0;
        contentLength = null;
        transferEncodings = 0;
        transferEncoding = null;
        searched = 0;
    }

    /** A request that breaks the grammar; the message is logged with the 400, the stack trace is of no use. */
    static final class Malformed extends DecoderException {
        Malformed(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
