package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;

/**
 * Writes an HTTP/1.1 head into a per-thread scratch array, which then reaches the outbound buffer in one
 * copy: many small writes into a direct buffer cost more per call than the bytes they copy. Characters are
 * written as their low byte, as Netty's own header encoder does, so a field goes upstream byte for byte as
 * the client's decoder read it.
 */
final class HeadBytes implements RequestHeadBuilder.FieldSink {
    /** A scratch grown beyond this for an unusually large head is dropped after use rather than kept. */
    private static final int KEEP_SCRATCH = 16 * 1024;
    private static final short COLON_SPACE = ':' << 8 | ' ';
    private static final short CRLF = '\r' << 8 | '\n';

    private static final FastThreadLocal<HeadBytes> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected HeadBytes initialValue() {
            return new HeadBytes();
        }
    };

    private byte[] bytes = new byte[1024];
    private int length;

    private HeadBytes() {
    }

    /** The calling thread's scratch, emptied. */
    static HeadBytes get() {
        HeadBytes scratch = SCRATCH.get();
        scratch.length = 0;
        return scratch;
    }

    @Override
    public void field(CharSequence name, CharSequence value) {
        ascii(name);
        ensure(2);
        bytes[length++] = ':';
        bytes[length++] = ' ';
        ascii(value);
        crlf();
    }

    /** Each character as its low byte. */
    void ascii(CharSequence text) {
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

    /** The text in UTF-8, as Netty's request encoder writes a request target. */
    void utf8(String text) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (text.charAt(i) >= 0x80) {
                byte[] encoded = text.getBytes(StandardCharsets.UTF_8);
                ensure(encoded.length);
                System.arraycopy(encoded, 0, bytes, length, encoded.length);
                length += encoded.length;
                return;
            }
        }
        ascii(text);
    }

    void put(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
    }

    void crlf() {
        ensure(2);
        bytes[length++] = '\r';
        bytes[length++] = '\n';
    }

    /** The scratch in a new buffer of its exact size. */
    ByteBuf toBuffer(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(length);
        out.writeBytes(bytes, 0, length);
        if (bytes.length > KEEP_SCRATCH) {
            bytes = new byte[1024];
        }
        return out;
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            byte[] grown = new byte[Math.max(bytes.length * 2, length + more)];
            System.arraycopy(bytes, 0, grown, 0, length);
            bytes = grown;
        }
    }

    /** One field line straight into {@code out}, for the rare trailer section of a chunked request body. */
    static void writeField(ByteBuf out, CharSequence name, CharSequence value) {
        out.ensureWritable(name.length() + value.length() + 4);
        ByteBufUtil.writeAscii(out, name);
        out.writeShort(COLON_SPACE);
        ByteBufUtil.writeAscii(out, value);
        out.writeShort(CRLF);
    }
}
