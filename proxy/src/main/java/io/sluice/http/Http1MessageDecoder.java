package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.List;

/**
 * What the strict HTTP/1.1 decoders of both hops share (RFC 9112): a head or trailer section read line by
 * line, copied once into a per-thread array and split there; field lines checked (token name, no
 * whitespace before the colon, no obs-fold, no control characters in the value); chunked bodies with
 * checked size lines and a CRLF after every chunk's data; bodies handed on in slices of at most
 * {@code maxChunkSize} bytes. A subclass reads its start line, keeps the framing fields of its head and
 * decides the body's framing when the head ends: the request and response rules differ only there.
 *
 * <p>A failure is reported the way Netty's decoders report it: a message (before the head was complete,
 * see {@link #failedHead}) or a last content (in the body) whose decoder result is the failure; every byte
 * after it is discarded, since nothing that follows can be framed safely.
 */
public abstract class Http1MessageDecoder extends ByteToMessageDecoder {
    /** A chunk-size line (size and extensions) longer than this is refused; real peers send a few bytes. */
    public static final int MAX_CHUNK_LINE = 4096;
    /** A head normally fits in this many bytes: the first copy stops here when more is buffered behind it. */
    private static final int FIRST_WINDOW = 2048;
    protected static final byte CR = '\r';
    protected static final byte LF = '\n';
    protected static final byte SP = ' ';
    protected static final byte HT = '\t';

    // the parser checks names and values; the map need not check them again
    protected static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    protected static final HttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory().withValidation(false);
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[FIRST_WINDOW];
        }
    };

    protected enum State {
        START_LINE, HEADERS, FIXED_BODY, UNTIL_CLOSE, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UPGRADED, BROKEN
    }

    private final int maxStartLine;
    private final int maxHeaderSize;
    protected final int maxChunkSize;

    protected State state = State.START_LINE;
    /** Bytes after the reader index already searched for the LF that ends the current line. */
    private int searched;
    /** Bytes of field lines (without their CRLF) in the header or trailer section read so far. */
    private int sectionBytes;
    protected HttpHeaders headers;
    protected HttpHeaders trailers;
    /** Body bytes still to come: of the whole body (Content-Length) or of the current chunk. */
    protected long remaining;

    protected Http1MessageDecoder(int maxStartLine, int maxHeaderSize, int maxChunkSize) {
        this.maxStartLine = maxStartLine;
        this.maxHeaderSize = maxHeaderSize;
        this.maxChunkSize = maxChunkSize;
    }

    /** "request line" or "status line", for the message of a line that is too long. */
    protected abstract String startLineName();

    /** Parses the start line (without its CRLF) and remembers what it says. */
    protected abstract void startLine(byte[] bytes, int start, int end);

    /** The name of a field, spelled as its bytes are; a shared constant where one fits. */
    protected abstract AsciiString fieldName(byte[] bytes, int start, int end);

    /** One field of the head: the subclass notes the framing fields and adds it to {@link #headers}. */
    protected abstract void headerField(AsciiString name, String value);

    /** The head is complete: emits it and decides the body's framing (RFC 9112 §6.3). */
    protected abstract void endHead(List<Object> out);

    /** The message has ended (its last content is out): ready for the next start line. */
    protected abstract void messageEnded();

    /** The message to report a failure with, before the head was complete; its decoder result is set here. */
    protected abstract HttpObject failedHead();

    /** The first byte of a start line is at {@code index} of the buffer being decoded. */
    protected void startLineAt(int index) {
    }

    /**
     * Reads lines of a head or trailer section; true when the section ended. Complete lines are consumed as
     * they arrive, so an unfinished head holds at most one partial line in the buffer.
     */
    protected final boolean readSection(ByteBuf in, List<Object> out) {
        for (;;) {
            if (state == State.START_LINE) {
                skipEmptyLines(in);
                startLineAt(in.readerIndex());
            }
            int readable = in.readableBytes();
            int lineAllowance = state == State.START_LINE ? maxStartLine + 2 : maxHeaderSize - sectionBytes + 2;
            int lf = lineEnd(in, lineAllowance);
            if (lf < 0) {
                return false;
            }
            // copy what may still belong to this section, bounded, and split it into lines in the array
            int sectionAllowance = state == State.START_LINE ? maxStartLine + maxHeaderSize + 4 : lineAllowance;
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

    /** CRLFs before a start line are ignored (RFC 9112 §2.2): some peers send one after a body. */
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
            case START_LINE -> new TooLongHttpLineException(startLineName() + " longer than " + maxStartLine + " bytes");
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
        if (state == State.START_LINE) {
            if (end - start > maxStartLine) {
                throw tooLong();
            }
            startLine(bytes, start, end);
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
                messageEnded();
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
        int hash = 0;
        for (int i = valueStart; i < valueEnd; i++) {
            byte b = bytes[i];
            if (isControl(b)) {
                throw new Malformed("control character in header value");
            }
            hash = 31 * hash + b;
        }
        AsciiString name = fieldName(bytes, start, colon);
        String value = HeadStrings.value(name, bytes, valueStart, valueEnd, hash);
        if (state == State.HEADERS) {
            headerField(name, value);
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

    /** Controls other than HTAB, and DEL; obs-text (bytes from 0x80) is allowed in values. */
    protected static boolean isControl(byte b) {
        return b >= 0 && b < SP && b != HT || b == 0x7f;
    }

    /** Plain digits, no sign, no leading zero, at most 18 of them: every parser reads such a value alike. */
    protected static long contentLength(String value) {
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

    /** Hands on what has arrived of a Content-Length body, in slices; true when the body ended. */
    protected final boolean readFixedBodyPieces(ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int size = (int) Math.min(Math.min(in.readableBytes(), remaining), maxChunkSize);
            ByteBuf slice = in.readRetainedSlice(size);
            remaining -= size;
            if (remaining == 0) {
                // a Content-Length body has no trailer section: the shared empty (read-only) fields stand in
                // for it, as on Netty's own empty last piece, instead of a field map per message
                out.add(new DefaultLastHttpContent(slice, EmptyHttpHeaders.INSTANCE));
                messageEnded();
                return true;
            }
            out.add(new DefaultHttpContent(slice));
        }
        return false;
    }

    protected final boolean readChunkSize(ByteBuf in) {
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

    protected final boolean readChunkData(ByteBuf in, List<Object> out) {
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

    protected final boolean readChunkEnd(ByteBuf in) {
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
    protected final void fail(ByteBuf in, List<Object> out, Exception cause) {
        boolean inBody = state != State.START_LINE && state != State.HEADERS && state != State.BROKEN;
        state = State.BROKEN;
        forget();
        in.skipBytes(in.readableBytes());
        if (inBody) {
            LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, TRAILERS);
            last.setDecoderResult(DecoderResult.failure(cause));
            out.add(last);
        } else {
            HttpObject message = failedHead();
            message.setDecoderResult(DecoderResult.failure(cause));
            out.add(message);
        }
    }

    /** Drops the parts of the message just read: an idle connection keeps none of them. */
    protected void forget() {
        headers = null;
        trailers = null;
        searched = 0;
    }

    /** A message that breaks the grammar; the message is logged with the answer, the stack trace is of no use. */
    public static final class Malformed extends DecoderException {
        public Malformed(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
