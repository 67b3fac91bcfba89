package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.sluice.http.Http1MessageDecoder;
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
 * Transfer-Encoding, Transfer-Encoding on HTTP/1.0, {@code chunked} twice, a transfer coding other than
 * {@code chunked} (Transfer-Encoding is hop-by-hop and goes no further, so a {@code gzip} coding would reach
 * the client as bytes nobody can decode), bad chunk lines and a missing CRLF after chunk data. A
 * response's body is framed as RFC 9112 §6.3 says: none for 1xx, 204, 304 and the answer to
 * {@code HEAD}; chunked; Content-Length; else until the connection closes. After a 101 nothing more is
 * decoded: the bytes behind it belong to the upgraded protocol and go on when this decoder is removed.
 *
 * <p>Request heads go out already encoded (see {@link RequestHeadBuilder#encode}), so no request encoder
 * sits in the pipeline to tell this decoder which method a response answers: {@link UpstreamConnection}
 * does, for the one case that changes framing, a response to {@code HEAD}.
 */
final class UpstreamResponseDecoder extends Http1MessageDecoder {
    /** Response body pieces are handed on at most this size, bounding what one read pins. */
    static final int MAX_CHUNK_SIZE = 64 * 1024;
    static final int MAX_STATUS_LINE = 8192;
    static final int MAX_HEADER_SIZE = 64 * 1024;

    private boolean answersHead;
    private HttpVersion version;
    private HttpResponseStatus status;
    private int contentLengths;
    private String contentLength;
    /** Transfer-Encoding elements seen, and whether the last of them was {@code chunked}. */
    private int codings;
    private boolean lastCodingChunked;
    /**
     * Where the current head starts in the buffer being decoded, while that head and its body are read in
     * one call; -1 otherwise. A body read whole in the same call is handed on with the head's bytes (read
     * and done with) in front of it, as room for the client's head: see {@link #readFixedBody}.
     */
    private int headStart = -1;

    UpstreamResponseDecoder() {
        super(MAX_STATUS_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE);
    }

    /** The next final response answers a {@code HEAD} request: it has no body whatever its headers say. */
    void expectResponseToHead(boolean head) {
        answersHead = head;
    }

    /**
     * True when no byte of a next response has arrived: every response read has ended and nothing waits in
     * the buffer. Bytes that waited would be read as the start of the answer to the next request.
     */
    boolean atRest() {
        return state == State.START_LINE && actualReadableBytes() == 0;
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
     * The connection closed: a body delimited by the close ends here (unless a read failed first, see
     * {@link #exceptionCaught}); a head cut short is reported as a failed response. A body cut short is
     * left to the connection's close to report: the relay then knows the response is incomplete.
     */
    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (state == State.UNTIL_CLOSE) {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            messageEnded();
        } else if (state == State.HEADERS) {
            fail(in, out, new PrematureChannelClosureException("connection closed before the response head ended"));
        }
    }

    /**
     * A read failed (the connection was reset, typically): a body delimited by the close is then cut short,
     * not ended, since only an orderly close ends it. Nothing more is decoded, so the close that follows
     * reports an unfinished response instead of a whole one.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (state == State.UNTIL_CLOSE) {
            state = State.BROKEN;
        }
        super.exceptionCaught(ctx, cause);
    }

    private void decodeMessages(ByteBuf in, List<Object> out) {
        for (;;) {
            switch (state) {
                case START_LINE, HEADERS, TRAILERS -> {
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

    /** {@code HTTP/1.x SP 3DIGIT SP reason-phrase}; a server that leaves out the SP before an empty reason is let off. */
    @Override
    protected String startLineName() {
        return "status line";
    }

    @Override
    protected void startLineAt(int index) {
        headStart = index;
    }

    @Override
    protected void startLine(byte[] bytes, int start, int end) {
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

    @Override
    protected AsciiString fieldName(byte[] bytes, int start, int end) {
        return ResponseFieldNames.of(bytes, start, end);
    }

    @Override
    protected void headerField(AsciiString name, String value) {
        if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
            contentLengths++;
            contentLength = value;
        } else if (HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
            codings(value);
        }
        headers.add(name, value);
    }

    /** Counts the codings of one Transfer-Encoding value, remembering whether the last was {@code chunked}. */
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
            }
            start = end + 1;
        }
    }

    /** The head is complete: decides the body's framing (RFC 9112 §6.3), refusing every ambiguous case. */
    @Override
    protected void endHead(List<Object> out) {
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
            messageEnded();
            return;
        }
        if (codings > 0) {
            if (version == HttpVersion.HTTP_1_0) {
                throw new Malformed("Transfer-Encoding in an HTTP/1.0 response");
            }
            if (contentLengths > 0) {
                throw new Malformed("both Content-Length and Transfer-Encoding");
            }
            if (codings > 1 || !lastCodingChunked) {
                throw new Malformed("Transfer-Encoding other than chunked");
            }
            out.add(response);
            state = State.CHUNK_SIZE;
            forget();
            return;
        }
        if (length == 0) {
            out.add(response);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            messageEnded();
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
            out.add(new DefaultLastHttpContent(withHead, EmptyHttpHeaders.INSTANCE));
            messageEnded();
            return true;
        }
        return readFixedBodyPieces(in, out);
    }

    @Override
    protected HttpObject failedHead() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER,
                HEADERS, TRAILERS);
    }

    @Override
    protected void messageEnded() {
        state = State.START_LINE;
        headStart = -1;
        forget();
    }

    /** Drops the parts of the response just read: an idle connection keeps none of them. */
    @Override
    protected void forget() {
        super.forget();
        version = null;
        status = null;
        contentLengths = 0;
        contentLength = null;
        codings = 0;
        lastCodingChunked = false;
    }

}
