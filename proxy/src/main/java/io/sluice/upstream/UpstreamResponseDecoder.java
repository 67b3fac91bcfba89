package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.http.ChunkLine;
import io.sluice.http.HttpTokens;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The response side of an HTTP/1.1 upstream connection, as strict about framing as the client side. It
 * emits what Netty's response decoder emits (an {@code HttpResponse}, then {@code HttpContent}s and one
 * {@code LastHttpContent}, trailers on it), so the relay reads the same messages, at a fraction of the
 * cost: a head is copied once into a per-thread array and split there, common field names are shared
 * constants, and the header map does not validate again what the parser already refused.
 *
 * <p>A response whose framing two parsers could read differently fails decoding and becomes a 502 (or
 * ends the client connection, once part of the response is out): passing it on would let the two hops
 * disagree on where it ends. Refused are: line ends other than CRLF, a status line other than
 * {@code HTTP/1.x NNN reason} with a code from 100 to 599, control characters in a line, whitespace before a
 * field's colon or outside a token in a name, obs-fold (RFC 9112 §5.2 lets a proxy answer it with 502),
 * more than one Content-Length or one that is not plain digits, Content-Length together with
 * Transfer-Encoding, Transfer-Encoding on HTTP/1.0, {@code chunked} twice or anywhere but last, bad
 * chunk lines and a missing CRLF after chunk data. A response's body is framed as RFC 9112 §6.3 says:
 * none for 1xx, 204, 304 and the answer to {@code HEAD}; chunked; Content-Length; else (including a
 * Transfer-Encoding not ending in chunked) until the connection closes. After a 101 nothing more is
 * decoded: the bytes behind it belong to the upgraded protocol and go on when this decoder is removed.
 *
 * <p>Request heads go out already encoded (see {@link RequestHeadBuilder#encode}), so no request encoder
 * sits in the pipeline to tell this decoder which method a response answers: {@link UpstreamConnection}
 * does, for the one case that changes framing, a response to {@code HEAD}.
 */
final class UpstreamResponseDecoder extends ByteToMessageDecoder {
    /** Response body pieces are handed on at most this size, bounding what one read pins. */
    static final int MAX_CHUNK_SIZE = 64 * 1024;
    static final int MAX_STATUS_LINE = 8192;
    static final int MAX_HEADER_SIZE = 64 * 1024;
    /** A chunk-size line longer than this is refused; real servers send a few bytes. */
    private static final int MAX_CHUNK_LINE = 4096;
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

    private enum State {
        STATUS_LINE, HEADERS, FIXED_BODY, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UPGRADED, BROKEN
    }

    private State state = State.STATUS_LINE;
    private boolean answersHead;
    /** Bytes after the reader index already searched for the LF that ends the current line. */
    private int searched;
    /** Bytes of field lines (without their CRLF) in the header or trailer section read so far. */
    private int sectionBytes;
    private HttpVersion version;
    private HttpResponseStatus status;
    private HttpHeaders headers;
    private HttpHeaders trailers;
    private int contentLengths;
    private String contentLength;
    /** Transfer-Encoding elements seen, and whether {@code chunked} was among them and the last. */
    private int codings;
    private int chunkedCodings;
    private boolean lastCodingChunked;
    /** Body bytes still to come: of the whole body (Content-Length) or of the current chunk. */
    private long remaining;
    /**
     * Where the current head starts in the buffer being decoded, while that head and its body are read in
     * one call; -1 otherwise. A body read whole in the same call is handed on with the head's bytes (read
     * and done with) in front of it, as room for the client's head: see {@link #readFixedBody}.
     */
    private int headStart = -1;

    /** The next final response answers a {@code HEAD} request: it has no body whatever its headers say. */
    void expectResponseToHead(boolean head) {
        answersHead = head;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            decodeMessages(in, out);
        } catch (DecoderException e) {
            fail(in, out, e);
        } finally {
            // the next call may see another buffer, or this one with its read bytes discarded
            headStart = -1;
        }
    }

    /**
     * The connection closed: a body delimited by the close ends here; a head cut short is reported as a
     * failed response. A body cut short is left to the connection's close to report: the relay then
     * knows the response is incomplete.
     */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            responseEnded();
        } else if (state == State.HEADERS) {
            fail(in, out, new PrematureChannelClosureException("connection closed before the response head ended"));
        }
    }

    private void decodeMessages(ByteBuf in, List<Object> out) {
        for (;;) {
            switch (state) {
                case STATUS_LINE, HEADERS, TRAILERS -> {
                    if (!readSection(in, out)) {
                        return;
                    }
                }
                case FIXED_BODY -> {
                    if (!readFixedBody(in, out)) {
                        return;
                    }
                }
                case UNTIL_CLOSE -> {
                    while (in.isReadable()) {
                        out.add(new DefaultHttpContent(in.readRetainedSlice(Math.min(in.readableBytes(), MAX_CHUNK_SIZE))));
                    }
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
                case UPGRADED -> {
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
     * Reads lines of a response head or trailer section; true when the section ended. Complete lines are
     * consumed as they arrive, so an unfinished head holds at most one partial line in the buffer.
     */
    private boolean readSection(ByteBuf in, List<Object> out) {
        for (;;) {
            if (state == State.STATUS_LINE) {
                skipEmptyLines(in);
                headStart = in.readerIndex();
            }
            int readable = in.readableBytes();
            int lineAllowance = state == State.STATUS_LINE ? MAX_STATUS_LINE + 2 : MAX_HEADER_SIZE - sectionBytes + 2;
            int lf = lineEnd(in, lineAllowance);
            if (lf < 0) {
                return false;
            }
            int sectionAllowance = state == State.STATUS_LINE ? MAX_STATUS_LINE + MAX_HEADER_SIZE + 4 : lineAllowance;
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

    /** CRLFs before a status line are ignored, as before a request line (RFC 9112 §2.2). */
    private static void skipEmptyLines(ByteBuf in) {
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

    /** The index of the LF ending the line at the reader index, or -1; bytes searched once are not searched again. */
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
            case STATUS_LINE -> new TooLongHttpLineException("status line longer than " + MAX_STATUS_LINE + " bytes");
            case HEADERS, TRAILERS -> new TooLongHttpHeaderException(
                    (state == State.HEADERS ? "header" : "trailer") + " section larger than " + MAX_HEADER_SIZE + " bytes");
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
        if (state == State.STATUS_LINE) {
            if (end - start > MAX_STATUS_LINE) {
                throw tooLong();
            }
            statusLine(bytes, start, end);
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
                responseEnded();
            }
            return true;
        }
        sectionBytes += end - start;
        if (sectionBytes > MAX_HEADER_SIZE) {
            throw tooLong();
        }
        field(bytes, start, end);
        return false;
    }

    /** {@code HTTP/1.x SP 3DIGIT SP reason-phrase}; a server that leaves out the SP before an empty reason is let off. */
    private void statusLine(byte[] bytes, int start, int end) {
        int versionEnd = start + 8;
        version = versionEnd <= end ? HttpTokens.version(bytes, start, versionEnd) : null;
        if (version == null || version.majorVersion() != 1 || version.minorVersion() > 1) {
            throw new Malformed("invalid HTTP version in status line");
        }
        int codeStart = versionEnd + 1;
        if (codeStart + 3 > end || bytes[versionEnd] != SP || !isDigit(bytes[codeStart])
                || !isDigit(bytes[codeStart + 1]) || !isDigit(bytes[codeStart + 2])) {
            throw new Malformed("invalid status code");
        }
        int code = (bytes[codeStart] - '0') * 100 + (bytes[codeStart + 1] - '0') * 10 + bytes[codeStart + 2] - '0';
        if (code < 100 || code > 599) {
            throw new Malformed("status code out of range: " + code);
        }
        int reasonStart = codeStart + 3;
        if (reasonStart < end) {
            if (bytes[reasonStart] != SP) {
                throw new Malformed("invalid status code");
            }
            reasonStart++;
        }
        for (int i = reasonStart; i < end; i++) {
            if (isControl(bytes[i])) {
                throw new Malformed("control character in reason phrase");
            }
        }
        status = status(code, bytes, reasonStart, end);
    }

    /** The shared constant when the reason is the standard one (nearly always), else a status carrying it. */
    private static HttpResponseStatus status(int code, byte[] bytes, int start, int end) {
        HttpResponseStatus standard = HttpResponseStatus.valueOf(code);
        String phrase = standard.reasonPhrase();
        int length = end - start;
        boolean same = phrase.length() == length;
        for (int i = 0; same && i < length; i++) {
            same = bytes[start + i] == phrase.charAt(i);
        }
        return same ? standard : new HttpResponseStatus(code, new String(bytes, start, length, StandardCharsets.ISO_8859_1));
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** Controls other than HTAB, and DEL; obs-text (bytes from 0x80) is allowed in values. */
    private static boolean isControl(byte b) {
        return b >= 0 && b < SP && b != HT || b == 0x7f;
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
            if (isControl(bytes[i])) {
                throw new Malformed("control character in header value");
            }
        }
        AsciiString name = ResponseFieldNames.of(bytes, start, colon);
        String value = new String(bytes, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
        if (state == State.HEADERS) {
            if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
                contentLengths++;
                contentLength = value;
            } else if (HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
                codings(value);
            }
            headers.add(name, value);
            return;
        }
        // framing fields mean nothing in a trailer and must not reach a peer as if they did
        if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRAILER.contentEqualsIgnoreCase(name)) {
            return;
        }
        if (trailers == null) {
            trailers = TRAILERS.newHeaders();
        }
        trailers.add(name, value);
    }

    /** Counts the codings of one Transfer-Encoding value, remembering where {@code chunked} stood. */
    private void codings(String value) {
        int start = 0;
        while (start <= value.length()) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            int from = start;
            int to = end;
            while (from < to && (value.charAt(from) == SP || value.charAt(from) == HT)) {
                from++;
            }
            while (to > from && (value.charAt(to - 1) == SP || value.charAt(to - 1) == HT)) {
                to--;
            }
            if (to > from) {
                codings++;
                lastCodingChunked = to - from == 7 && value.regionMatches(true, from, "chunked", 0, 7);
                if (lastCodingChunked) {
                    chunkedCodings++;
                }
            }
            start = end + 1;
        }
    }

    /** The head is complete: decides the body's framing (RFC 9112 §6.3), refusing every ambiguous case. */
    private void endHead(List<Object> out) {
        long length = -1;
        if (contentLengths > 0) {
            if (contentLengths > 1) {
                throw new Malformed("more than one Content-Length");
            }
            length = contentLength(contentLength);
        }
        int code = status.code();
        DefaultHttpResponse response = new DefaultHttpResponse(version, status, headers);
        if (code == 101) {
            out.add(response);
            forget();
            state = State.UPGRADED;
            return;
        }
        boolean bodyless = code < 200 || code == 204 || code == 304;
        if (!bodyless && answersHead) {
            // only the first final response answers the request; anything after it is unasked for
            answersHead = false;
            bodyless = true;
        }
        if (bodyless) {
            out.add(response);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            responseEnded();
            return;
        }
        if (codings > 0) {
            if (version == HttpVersion.HTTP_1_0) {
                throw new Malformed("Transfer-Encoding in an HTTP/1.0 response");
            }
            if (contentLengths > 0) {
                throw new Malformed("both Content-Length and Transfer-Encoding");
            }
            if (chunkedCodings > 1 || chunkedCodings == 1 && !lastCodingChunked) {
                throw new Malformed("chunked other than once and last in Transfer-Encoding");
            }
            out.add(response);
            state = chunkedCodings == 1 ? State.CHUNK_SIZE : State.UNTIL_CLOSE;
            forget();
            return;
        }
        if (length == 0) {
            out.add(response);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            responseEnded();
            return;
        }
        out.add(response);
        if (length > 0) {
            remaining = length;
            state = State.FIXED_BODY;
        } else {
            state = State.UNTIL_CLOSE;
        }
        forget();
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

    /**
     * True when the body ended. A body whose head was read from the same buffer in the same call, and which
     * is there whole, is handed on as one slice that also spans the head's bytes, its reader index at the
     * body: the client's encoder can write the client's head there (see {@code HeadroomResponse}) instead
     * of allocating a buffer and copying the body behind the head. Nothing else refers to those bytes any more.
     */
    private boolean readFixedBody(ByteBuf in, List<Object> out) {
        if (headStart >= 0 && in.readableBytes() >= remaining && remaining <= MAX_CHUNK_SIZE) {
            int headLength = in.readerIndex() - headStart;
            int bodyLength = (int) remaining;
            ByteBuf withHead = in.retainedSlice(headStart, headLength + bodyLength);
            withHead.readerIndex(headLength);
            in.skipBytes(bodyLength);
            out.add(new DefaultLastHttpContent(withHead, TRAILERS));
            responseEnded();
            return true;
        }
        while (in.isReadable()) {
            int size = (int) Math.min(Math.min(in.readableBytes(), remaining), MAX_CHUNK_SIZE);
            ByteBuf slice = in.readRetainedSlice(size);
            remaining -= size;
            if (remaining == 0) {
                out.add(new DefaultLastHttpContent(slice, TRAILERS));
                responseEnded();
                return true;
            }
            out.add(new DefaultHttpContent(slice));
        }
        return false;
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
            int size = (int) Math.min(Math.min(in.readableBytes(), remaining), MAX_CHUNK_SIZE);
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

    /**
     * Reports the failure as Netty's decoder would: a response (before its head was complete) or a last
     * content (in its body) whose decoder result is the failure; every byte after it is discarded, since
     * nothing that follows can be framed safely.
     */
    private void fail(ByteBuf in, List<Object> out, Exception cause) {
        boolean inBody = state != State.STATUS_LINE && state != State.HEADERS && state != State.BROKEN;
        state = State.BROKEN;
        forget();
        in.skipBytes(in.readableBytes());
        if (inBody) {
            LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, TRAILERS);
            last.setDecoderResult(DecoderResult.failure(cause));
            out.add(last);
        } else {
            DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER, HEADERS, TRAILERS);
            response.setDecoderResult(DecoderResult.failure(cause));
            out.add(response);
        }
    }

    private void responseEnded() {
        state = State.STATUS_LINE;
        headStart = -1;
        forget();
    }

    /** Drops the parts of the response just read: an idle connection keeps none of them. */
    private void forget() {
        version = null;
        status = null;
        headers = null;
        trailers = null;
        contentLengths = 0;
        contentLength = null;
        codings = 0;
        chunkedCodings = 0;
        lastCodingChunked = false;
        searched = 0;
    }

    /** A response that breaks the grammar; the message is logged with the 502, the stack trace is of no use. */
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
