package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * Writes HTTP/1.1 field lines straight into a buffer. Characters are written as their low byte, as Netty's
 * own header encoder does, so a field goes upstream byte for byte as the client's decoder read it.
 */
final class HeadBytes implements RequestHeadBuilder.FieldSink {
    private static final short COLON_SPACE = ':' << 8 | ' ';
    private static final short CRLF = '\r' << 8 | '\n';

    private final ByteBuf out;

    HeadBytes(ByteBuf out) {
        this.out = out;
    }

    @Override
    public void field(CharSequence name, CharSequence value) {
        writeField(out, name, value);
    }

    static void writeField(ByteBuf out, CharSequence name, CharSequence value) {
        out.ensureWritable(name.length() + value.length() + 4);
        writeAscii(out, name);
        out.writeShort(COLON_SPACE);
        writeAscii(out, value);
        out.writeShort(CRLF);
    }

    static void writeAscii(ByteBuf out, CharSequence text) {
        ByteBufUtil.writeAscii(out, text);
    }

    static void endOfHead(ByteBuf out) {
        out.writeShort(CRLF);
    }
}
