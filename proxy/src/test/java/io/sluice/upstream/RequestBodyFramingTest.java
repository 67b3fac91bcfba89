package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Request body pieces on the wire to an HTTP/1.1 upstream. */
class RequestBodyFramingTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void noneLeftOver() {
        assertFalse(channel.finishAndReleaseAll());
    }

    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** Everything written so far, as text. */
    private String written() {
        StringBuilder out = new StringBuilder();
        ByteBuf piece;
        while ((piece = channel.readOutbound()) != null) {
            out.append(piece.toString(StandardCharsets.US_ASCII));
            piece.release();
        }
        return out.toString();
    }

    @Test
    void chunkedPiecesBecomeChunksAndAnEmptyPieceDoesNotEndTheBody() {
        RequestBodyFraming.write(channel, new DefaultHttpContent(text("hello")), true);
        RequestBodyFraming.write(channel, new DefaultHttpContent(Unpooled.EMPTY_BUFFER), true);
        RequestBodyFraming.write(channel, new DefaultHttpContent(text("x".repeat(26))), true);
        assertEquals("5\r\nhello\r\n1a\r\n" + "x".repeat(26) + "\r\n", written());
        RequestBodyFraming.write(channel, LastHttpContent.EMPTY_LAST_CONTENT, true);
        assertEquals("0\r\n\r\n", written());
    }

    @Test
    void lastChunkCarriesTheTrailerFields() {
        LastHttpContent last = new DefaultLastHttpContent(text("end"));
        last.trailingHeaders().add("X-Checksum", "abc123");
        RequestBodyFraming.write(channel, last, true);
        assertEquals("3\r\nend\r\n0\r\nX-Checksum: abc123\r\n\r\n", written());
    }

    @Test
    void lengthFramedPiecesGoAsTheyAre() {
        RequestBodyFraming.write(channel, new DefaultHttpContent(text("hello ")), false);
        RequestBodyFraming.write(channel, new DefaultLastHttpContent(text("world")), false);
        assertEquals("hello world", written());
    }
}
