package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Response framing on an upstream connection whose requests went out as bytes. */
class UpstreamResponseDecoderTest {
    private final UpstreamResponseDecoder decoder = new UpstreamResponseDecoder();
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    @AfterEach
    void noneLeftOver() {
        assertFalse(channel.finishAndReleaseAll());
    }

    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** The decoded messages, described: the status of a head, the body bytes of content, "end" for the last. */
    private List<String> decoded() {
        List<String> out = new ArrayList<>();
        Object message;
        while ((message = channel.readInbound()) != null) {
            if (message instanceof HttpResponse response) {
                assertTrue(response.decoderResult().isSuccess(), response.decoderResult().toString());
                out.add(String.valueOf(response.status().code()));
            }
            if (message instanceof HttpContent content && content.content().isReadable()) {
                out.add(content.content().toString(StandardCharsets.US_ASCII));
            }
            if (message instanceof LastHttpContent) {
                out.add("end");
            }
            ReferenceCountUtil.release(message);
        }
        return out;
    }

    @Test
    void responseToHeadHasNoBodyAndTheNextResponseOnTheConnectionReadsWhole() {
        decoder.expectResponseToHead(true);
        channel.writeInbound(text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
        assertEquals(List.of("100", "end", "200", "end"), decoded());
        decoder.expectResponseToHead(false);
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
        assertEquals(List.of("200", "hello", "end"), decoded());
    }

    @Test
    void onlyTheFirstFinalResponseAnswersTheHeadRequest() {
        decoder.expectResponseToHead(true);
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
        assertEquals(List.of("200", "end", "200", "abc", "end"), decoded());
    }

    @Test
    void ambiguousFramingFailsDecoding() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"));
        HttpResponse response = channel.readInbound();
        assertTrue(response.decoderResult().isFailure());
        ReferenceCountUtil.release(response);
    }
}
