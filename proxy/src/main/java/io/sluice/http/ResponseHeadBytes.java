package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.Iterator;
import java.util.Map;

/**
 * Serialises a response head (status line, header fields, the empty line) into one per-thread scratch
 * array, so that it reaches the outbound buffer in a single copy. Netty's encoder copies every name and
 * value into the direct buffer separately, and for small copies into a direct buffer the per-call cost
 * dominates: in a static 1 KiB profile those copies were 7.5 % of the event loop's samples.
 *
 * <p>The bytes are exactly what Netty's {@code HttpResponseEncoder} writes: names and values as given
 * (Netty's US-ASCII encoding maps a char above 0xFF to {@code '?'} and keeps the low byte otherwise).
 */
final class ResponseHeadBytes {
    /** A scratch grown beyond this for an unusually large head is dropped after use rather than kept. */
    private static final int KEEP_SCRATCH = 16 * 1024;

    private static final FastThreadLocal<ResponseHeadBytes> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected ResponseHeadBytes initialValue() {
            return new ResponseHeadBytes();
        }
    };

    private byte[] bytes = new byte[1024];
    private int length;

    private ResponseHeadBytes() {
    }

    /** The calling thread's scratch, emptied. */
    static ResponseHeadBytes get() {
        ResponseHeadBytes scratch = SCRATCH.get();
        scratch.length = 0;
        return scratch;
    }

    int length() {
        return length;
    }

    /** The status line: {@code HTTP/1.1 200 OK} and CRLF. */
    void statusLine(HttpResponse response) {
        text(response.protocolVersion().text());
        put(' ');
        text(response.status().codeAsText());
        put(' ');
        text(response.status().reasonPhrase());
        crlf();
    }

    /** Every header field, then the empty line when {@code end}. */
    void fields(HttpHeaders headers, boolean end) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            CharSequence name = field.getKey();
            CharSequence value = field.getValue();
            text(name);
            ensure(2);
            bytes[length++] = ':';
            bytes[length++] = ' ';
            text(value);
            crlf();
        }
        if (end) {
            crlf();
        }
    }

    /** Appends the scratch to {@code buf} in one copy. */
    void writeTo(ByteBuf buf) {
        buf.writeBytes(bytes, 0, length);
        if (bytes.length > KEEP_SCRATCH) {
            bytes = new byte[1024];
        }
    }

    /** Copies the scratch into {@code buf} at {@code index}, leaving its indexes alone. */
    void setInto(ByteBuf buf, int index) {
        buf.setBytes(index, bytes, 0, length);
        if (bytes.length > KEEP_SCRATCH) {
            bytes = new byte[1024];
        }
    }

    private void text(CharSequence text) {
        int n = text.length();
        ensure(n);
        if (text instanceof AsciiString ascii) {
            System.arraycopy(ascii.array(), ascii.arrayOffset(), bytes, length, n);
        } else {
            for (int i = 0; i < n; i++) {
                bytes[length + i] = AsciiString.c2b(text.charAt(i));
            }
        }
        length += n;
    }

    private void put(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
    }

    private void crlf() {
        ensure(2);
        bytes[length++] = '\r';
        bytes[length++] = '\n';
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            byte[] grown = new byte[Math.max(bytes.length * 2, length + more)];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
    }
}
