package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.CharsetUtil;
import io.sluice.http.HeadBytes;

import java.util.Iterator;
import java.util.Map;

/**
 * Request body pieces as they go to an HTTP/1.1 upstream: unchanged under {@code Content-Length}, else as
 * chunks, the last one carrying the client's trailer fields. The head went out already encoded, so this is
 * all the request encoding the upstream pipeline needs.
 */
final class RequestBodyFraming {
    private static final ByteBuf CRLF = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeByte('\r').writeByte('\n')).asReadOnly();
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes(new byte[] {'0', '\r', '\n', '\r', '\n'})).asReadOnly();

    private RequestBodyFraming() {
    }

    /** Writes {@code content} (taking ownership) and flushes. */
    static void write(Channel channel, HttpContent content, boolean chunked) {
        ByteBuf data = content.content();
        boolean last = content instanceof LastHttpContent;
        if (!chunked) {
            channel.writeAndFlush(data, channel.voidPromise());
            return;
        }
        int size = data.readableBytes();
        if (size > 0) {
            // a chunk of size zero would end the body early
            ByteBuf sizeLine = channel.alloc().buffer(10);
            sizeLine.writeCharSequence(Integer.toHexString(size), CharsetUtil.US_ASCII);
            sizeLine.writeShort('\r' << 8 | '\n');
            channel.write(sizeLine, channel.voidPromise());
            channel.write(data, channel.voidPromise());
            channel.write(CRLF.duplicate(), channel.voidPromise());
        } else {
            data.release();
        }
        if (last) {
            HttpHeaders trailers = ((LastHttpContent) content).trailingHeaders();
            channel.write(trailers.isEmpty() ? LAST_CHUNK.duplicate() : lastChunk(channel, trailers), channel.voidPromise());
        }
        channel.flush();
    }

    private static ByteBuf lastChunk(Channel channel, HttpHeaders trailers) {
        ByteBuf out = channel.alloc().buffer(256);
        out.writeByte('0').writeShort('\r' << 8 | '\n');
        Iterator<Map.Entry<CharSequence, CharSequence>> it = trailers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            HeadBytes.writeField(out, field.getKey(), field.getValue());
        }
        out.writeShort('\r' << 8 | '\n');
        return out;
    }
}
