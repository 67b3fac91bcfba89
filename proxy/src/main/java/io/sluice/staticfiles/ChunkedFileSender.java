package io.sluice.staticfiles;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.http.Exchange;

import java.io.EOFException;
import java.io.IOException;
import java.util.List;

/**
 * Sends file parts as buffers read piece by piece, for connections that cannot take a
 * {@link io.netty.channel.FileRegion} (TLS, HTTP/2 streams). Pieces go out as {@code HttpContent}, which
 * both the HTTP/1.1 encoder and the HTTP/2 stream codec accept. It reads only while the connection is
 * writable and resumes when it becomes writable again, so a slow client pins at most about one
 * high-water mark of memory whatever the file size. A file that ends early (truncated while being sent)
 * aborts the exchange: the connection closes, since the promised length can no longer be met.
 */
final class ChunkedFileSender {
    static final int CHUNK_SIZE = 32 * 1024;

    private final Exchange exchange;
    private final List<BodyPart> parts;
    private final byte[] trailer;
    private int index;
    private boolean headWritten;
    private long position;
    private long remaining;
    private boolean pumping;
    private boolean finished;

    ChunkedFileSender(Exchange exchange, List<BodyPart> parts, byte[] trailer) {
        this.exchange = exchange;
        this.parts = parts;
        this.trailer = trailer;
        BodyPart first = parts.get(0);
        this.position = first.position();
        this.remaining = first.length();
    }

    /** Writes while the connection is writable, after the head; called again when writability returns. */
    void pump() {
        if (pumping || finished) {
            return;
        }
        pumping = true;
        try {
            while (!finished) {
                while (!finished && exchange.writable()) {
                    step();
                }
                if (finished) {
                    break;
                }
                exchange.flush();
                if (!exchange.writable()) {
                    break;
                }
            }
        } catch (IOException e) {
            parts.get(index).file().markSuspect();
            abort();
            exchange.abort("file read failed: " + e);
        } finally {
            pumping = false;
        }
    }

    private void step() throws IOException {
        BodyPart part = parts.get(index);
        if (!headWritten) {
            headWritten = true;
            if (part.head() != null) {
                exchange.write(new DefaultHttpContent(Unpooled.wrappedBuffer(part.head())));
            }
            return;
        }
        if (remaining > 0) {
            int length = (int) Math.min(CHUNK_SIZE, remaining);
            ByteBuf chunk = exchange.alloc().ioBuffer(length);
            int read;
            try {
                read = chunk.writeBytes(part.file().channel(), position, length);
            } catch (IOException | RuntimeException e) {
                chunk.release();
                throw e;
            }
            if (read <= 0) {
                chunk.release();
                throw new EOFException("file ended " + remaining + " bytes early");
            }
            position += read;
            remaining -= read;
            exchange.write(new DefaultHttpContent(chunk));
            return;
        }
        part.file().release();
        index++;
        if (index < parts.size()) {
            BodyPart next = parts.get(index);
            headWritten = false;
            position = next.position();
            remaining = next.length();
            return;
        }
        finished = true;
        exchange.writeAndFlush(trailer == null ? LastHttpContent.EMPTY_LAST_CONTENT
                : new DefaultLastHttpContent(Unpooled.wrappedBuffer(trailer)));
    }

    /** The exchange ended early: release the file references not yet used up. */
    void abort() {
        if (finished) {
            return;
        }
        finished = true;
        for (int i = index; i < parts.size(); i++) {
            parts.get(i).file().release();
        }
    }
}
