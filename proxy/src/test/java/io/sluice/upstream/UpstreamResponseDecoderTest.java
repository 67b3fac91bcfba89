package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
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
    void repeatedValuesAreOneStringExceptCookies() {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: s=1\r\nContent-Length: 0\r\n\r\n";
        channel.writeInbound(text(head + head.replace("text/plain", "text/html")));
        HttpResponse first = channel.readInbound();
        ReferenceCountUtil.release(channel.readInbound());
        HttpResponse second = channel.readInbound();
        ReferenceCountUtil.release(channel.readInbound());
        assertEquals("text/plain", first.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("text/html", second.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertSame(first.headers().get(HttpHeaderNames.CONTENT_LENGTH), second.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertEquals(first.headers().get(HttpHeaderNames.SET_COOKIE), second.headers().get(HttpHeaderNames.SET_COOKIE));
        assertNotSame(first.headers().get(HttpHeaderNames.SET_COOKIE), second.headers().get(HttpHeaderNames.SET_COOKIE));
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

    @Test
    void contentLengthBodyEndsAtItsLengthAndTheHeadKeepsItsFieldsAsSpelled() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nServer: t\r\nX-Custom-Thing: a b\r\nContent-Length: 5\r\n\r\nhel"));
        HttpResponse head = channel.readInbound();
        assertSame(HttpResponseStatus.OK, head.status());
        assertEquals(HttpVersion.HTTP_1_1, head.protocolVersion());
        assertEquals(List.of("Server", "X-Custom-Thing", "Content-Length"), names(head));
        assertEquals("a b", head.headers().get("x-custom-thing"));
        assertEquals(List.of("hel"), decoded());
        channel.writeInbound(text("lo"));
        assertEquals(List.of("lo", "end"), decoded());
    }

    private static List<String> names(HttpResponse head) {
        List<String> names = new ArrayList<>();
        head.headers().forEach(field -> names.add(field.getKey()));
        return names;
    }

    @Test
    void headArrivingInPiecesIsReadOnceWhole() {
        String response = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
        for (char c : response.toCharArray()) {
            channel.writeInbound(text(String.valueOf(c)));
        }
        assertEquals(List.of("404", "n", "o", "end"), decoded());
    }

    @Test
    void aReasonOtherThanTheStandardOneIsKept() {
        channel.writeInbound(text("HTTP/1.1 200 Fine\r\nContent-Length: 0\r\n\r\nHTTP/1.0 503\r\nContent-Length: 0\r\n\r\n"));
        HttpResponse first = channel.readInbound();
        assertEquals("Fine", first.status().reasonPhrase());
        ReferenceCountUtil.release(channel.readInbound());
        HttpResponse second = channel.readInbound();
        assertEquals(503, second.status().code());
        assertEquals(HttpVersion.HTTP_1_0, second.protocolVersion());
        assertEquals(List.of("end"), decoded());
    }

    @Test
    void chunkedBodyEndsWithItsTrailersLessTheFramingFields() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=\"x\"\r\nabc\r\n2\r\nde\r\n0\r\nGrpc-Status: 0\r\nContent-Length: 9\r\n\r\n"));
        assertEquals("200", String.valueOf(((HttpResponse) channel.readInbound()).status().code()));
        assertEquals(List.of("abc", "de"), List.of(body(channel.readInbound()), body(channel.readInbound())));
        LastHttpContent last = channel.readInbound();
        assertEquals("0", last.trailingHeaders().get("grpc-status"));
        assertNull(last.trailingHeaders().get("content-length"));
        last.release();
    }

    private static String body(HttpContent content) {
        String text = content.content().toString(StandardCharsets.US_ASCII);
        content.release();
        return text;
    }

    @Test
    void bodyWithoutLengthRunsUntilTheConnectionCloses() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\n\r\nsome"));
        channel.writeInbound(text("thing"));
        assertEquals(List.of("200", "some", "thing"), decoded());
        channel.finish();
        assertEquals(List.of("end"), decoded());
    }

    @ParameterizedTest
    @ValueSource(ints = {204, 304})
    void noContentAndNotModifiedHaveNoBody(int code) {
        channel.writeInbound(text("HTTP/1.1 " + code + " X\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(List.of(String.valueOf(code), "end", "200", "end"), decoded());
    }

    @Test
    void bytesAfterA101AreLeftForTheUpgradedProtocol() {
        channel.writeInbound(text("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n\u0081\u0002hi"));
        assertEquals(List.of("101"), decoded());
        channel.pipeline().remove(decoder);
        ByteBuf passedOn = channel.readInbound();
        assertEquals(4, passedOn.readableBytes());
        passedOn.release();
    }

    @Test
    void headCutShortByTheCloseFails() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Len"));
        channel.finish();
        HttpResponse response = channel.readInbound();
        assertTrue(response.decoderResult().isFailure());
        ReferenceCountUtil.release(response);
    }

    @Test
    void fixedBodyCutShortByTheCloseIsLeftToTheCloseToReport() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"));
        channel.finish();
        assertEquals(List.of("200", "hel"), decoded());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\u0001\r\n\r\n",
            "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
            "HTTP/1.1  200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 600 Odd\r\n\r\n",
            "HTTP/1.1 200OK\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 O\u0000K\r\n\r\n",
    })
    void ambiguousOrMalformedHeadsFailDecodingAndNothingAfterThemIsRead(String head) {
        channel.writeInbound(text(head + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        HttpResponse response = channel.readInbound();
        assertTrue(response.decoderResult().isFailure(), head);
        ReferenceCountUtil.release(response);
        assertEquals(List.of(), decoded());
    }

    @ParameterizedTest
    @ValueSource(strings = {"5\r\nabcdeXY0\r\n\r\n", "zz\r\n", "5 x\r\nabcde\r\n0\r\n\r\n"})
    void badChunkFramingFailsTheBody(String body) {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
        HttpResponse head = channel.readInbound();
        assertTrue(head.decoderResult().isSuccess());
        Object message;
        LastHttpContent last = null;
        while ((message = channel.readInbound()) != null) {
            if (message instanceof LastHttpContent end) {
                last = end;
            }
            ReferenceCountUtil.release(message);
        }
        assertTrue(last != null && last.decoderResult().isFailure(), body);
    }

    /** Chunk lines and trailer sections a hostile upstream could use to overflow a size or hold memory. */
    static List<String> hostileChunkFraming() {
        return List.of(
                "fffffffffffffffff\r\n" + "x".repeat(10),
                "-5\r\nabcde\r\n0\r\n\r\n",
                "0x5\r\nabcde\r\n0\r\n\r\n",
                "5;" + "e".repeat(io.sluice.http.Http1MessageDecoder.MAX_CHUNK_LINE) + "\r\nabcde\r\n0\r\n\r\n",
                "0\r\n" + "X-T: t\r\n".repeat(UpstreamResponseDecoder.MAX_HEADER_SIZE / 6 + 1) + "\r\n");
    }

    @ParameterizedTest
    @MethodSource("hostileChunkFraming")
    void overflowingOrEndlessChunkFramingFailsTheBody(String body) {
        badChunkFramingFailsTheBody(body);
    }

    @Test
    void atRestOnlyWhileNoByteOfAFurtherResponseWaits() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"));
        assertFalse(decoder.atRest(), "in the middle of a body");
        channel.writeInbound(text("lo"));
        assertTrue(decoder.atRest());
        channel.writeInbound(text("\r\n"));
        assertTrue(decoder.atRest(), "an empty line before a status line is allowed");
        channel.writeInbound(text("XY"));
        assertFalse(decoder.atRest(), "bytes no request asked for");
        assertEquals(List.of("200", "hello", "end"), decodedJoined());
    }

    /** As {@link #decoded()}, with the body pieces joined. */
    private List<String> decodedJoined() {
        List<String> out = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String piece : decoded()) {
            if (piece.equals("end") || piece.equals("200")) {
                if (body.length() > 0) {
                    out.add(body.toString());
                    body.setLength(0);
                }
                out.add(piece);
            } else {
                body.append(piece);
            }
        }
        return out;
    }

    @Test
    void headSectionOverTheLimitFails() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(UpstreamResponseDecoder.MAX_HEADER_SIZE) + "\r\n\r\n"));
        HttpResponse response = channel.readInbound();
        assertTrue(response.decoderResult().isFailure());
        ReferenceCountUtil.release(response);
    }

    @Test
    void aBodyReadWholeWithItsHeadKeepsTheHeadBytesInFrontAsRoomForTheClientHead() {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        channel.writeInbound(text("\r\n" + head + "hello"));
        ReferenceCountUtil.release(channel.readInbound());
        LastHttpContent last = channel.readInbound();
        ByteBuf body = last.content();
        assertEquals(head.length(), body.readerIndex());
        assertEquals(head + "hello", body.toString(0, body.writerIndex(), StandardCharsets.US_ASCII));
        last.release();
    }

    @Test
    void aBodyArrivingAfterItsHeadHasNoRoomInFront() {
        channel.writeInbound(text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"));
        channel.writeInbound(text("hello"));
        ReferenceCountUtil.release(channel.readInbound());
        LastHttpContent last = channel.readInbound();
        assertEquals(0, last.content().readerIndex());
        last.release();
    }
}
