package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LocationConfig;
import io.sluice.testing.ContentDecoding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compressing decorator over an EmbeddedChannel: what a handler writes against what leaves. */
class CompressingExchangeTest {
    private static final byte[] TEXT = "{\"name\": \"sluice\", \"values\": [1, 2, 3]}\n".repeat(200)
            .getBytes(StandardCharsets.UTF_8);
    private static final LocationConfig LOCATION = ConfigLoader.parse("""
            sluice {
              compression { zstd = true, min-length = 1k }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { } } ] } ]
            }""", Path.of(".")).servers().get(0).locations().get(0);

    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void noneLeftOver() {
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aWholeResponseIsCompressedWithAnExactLengthAndVary() {
        for (String coding : List.of("gzip", "br", "zstd")) {
            CompressingExchange exchange = exchange(get(coding));
            exchange.writeAndFlush(full(TEXT, "application/json"));
            FullHttpResponse sent = channel.readOutbound();
            try {
                assertEquals(coding, sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
                assertEquals("Accept-Encoding", sent.headers().get(HttpHeaderNames.VARY));
                assertEquals(sent.content().readableBytes(), sent.headers().getInt(HttpHeaderNames.CONTENT_LENGTH));
                assertTrue(sent.content().readableBytes() < TEXT.length / 4, coding);
                assertArrayEquals(TEXT, ContentDecoding.decode(coding, bytes(sent.content())), coding);
            } finally {
                sent.release();
            }
        }
    }

    @Test
    void aStreamedBodyComesOutPieceByPieceEachDecodableAtOnce() {
        CompressingExchange exchange = exchange(get("gzip"));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        exchange.writeAndFlush(head);
        HttpResponse sentHead = channel.readOutbound();
        assertEquals("gzip", sentHead.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertEquals("chunked", sentHead.headers().get(HttpHeaderNames.TRANSFER_ENCODING));
        assertTrue(exchange.rewritesBody());

        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            String event = "data: event " + i + "\n\n";
            exchange.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(event, StandardCharsets.UTF_8)));
            HttpContent piece = channel.readOutbound();
            assertNotNull(piece, "event " + i + " came out before the next was written");
            byte[] encoded = bytes(piece.content());
            piece.release();
            compressed.writeBytes(encoded);
            // what arrived so far inflates to every event so far: nothing waits in the encoder
            seen.append(event);
            assertEquals(seen.toString(), inflatePrefix(compressed.toByteArray()));
        }
        LastHttpContent last = new DefaultLastHttpContent();
        last.trailingHeaders().set("x-checksum", "abc");
        exchange.writeAndFlush(last);
        Object message;
        LastHttpContent sentLast = null;
        while ((message = channel.readOutbound()) != null) {
            HttpContent content = (HttpContent) message;
            compressed.writeBytes(bytes(content.content()));
            if (content instanceof LastHttpContent lastContent) {
                sentLast = lastContent;
                assertEquals("abc", lastContent.trailingHeaders().get("x-checksum"));
            }
            content.release();
        }
        assertNotNull(sentLast);
        assertFalse(exchange.rewritesBody());
        byte[] decoded = ContentDecoding.decode("gzip", compressed.toByteArray());
        assertEquals(seen.toString(), new String(decoded, StandardCharsets.UTF_8));
    }

    @Test
    void piecesWrittenTogetherAreCompressedTogetherAtTheFlushOrEveryBatch() {
        CompressingExchange exchange = exchange(get("gzip"));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        exchange.writeAndFlush(head);
        ReferenceCountUtil.release(channel.readOutbound());
        exchange.write(new DefaultHttpContent(Unpooled.copiedBuffer("one ", StandardCharsets.UTF_8)));
        exchange.write(new DefaultHttpContent(Unpooled.copiedBuffer("two", StandardCharsets.UTF_8)));
        assertEquals(0, channel.unsafe().outboundBuffer().totalPendingWriteBytes(),
                "nothing is compressed before the flush");
        exchange.flush();
        HttpContent both = channel.readOutbound();
        assertNull(channel.readOutbound(), "one compressed piece for the pieces of one flush");
        assertEquals("one two", inflatePrefix(bytes(both.content())));
        both.release();

        int written = 0;
        while (channel.unsafe().outboundBuffer().totalPendingWriteBytes() == 0) {
            exchange.write(new DefaultHttpContent(Unpooled.wrappedBuffer(TEXT, 0, 1000)));
            written += 1000;
        }
        assertEquals(BodyEncoder.BATCH, written, 1000, "unflushed input waits for one batch at most");
        channel.flush();
        releaseOutbound();
        exchange.discardEncoder();
    }

    @Test
    void brotliAndZstdStreamsDecodeByteExact() {
        for (String coding : List.of("br", "zstd")) {
            CompressingExchange exchange = exchange(get(coding));
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            exchange.write(head);
            for (int offset = 0; offset < TEXT.length; offset += 1000) {
                int length = Math.min(1000, TEXT.length - offset);
                exchange.write(new DefaultHttpContent(Unpooled.wrappedBuffer(TEXT, offset, length)));
            }
            exchange.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            assertArrayEquals(TEXT, ContentDecoding.decode(coding, drainBody()), coding);
        }
    }

    @Test
    void qValuesPickTheCodingAndZeroRefuses() {
        assertEquals("br", codingFor("gzip;q=0.5, br;q=0.5, zstd;q=0.5"));
        assertEquals("gzip", codingFor("br;q=0.1, gzip"));
        assertEquals("zstd", codingFor("gzip;q=0, zstd"));
        assertEquals("br", codingFor("*"));
        assertEquals("gzip", codingFor("*;q=0.2, gzip;q=0.3"));
        assertNull(codingFor("gzip;q=0, br;q=0, zstd;q=0"));
        assertNull(codingFor("*;q=0"));
        assertNull(codingFor("identity, deflate"));
        assertNull(codingFor(null));
        HttpRequest twoLines = get("gzip;q=0.5");
        twoLines.headers().add(HttpHeaderNames.ACCEPT_ENCODING, "zstd");
        exchange(twoLines).writeAndFlush(full(TEXT, "application/json"));
        FullHttpResponse sent = channel.readOutbound();
        assertEquals("zstd", sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        sent.release();
    }

    @Test
    void ineligibleResponsesPassUntouched() {
        assertUntouched(full(TEXT, "application/json"), "Content-Encoding", "gzip");
        assertUntouched(full(TEXT, "application/json"), "Cache-Control", "public, no-transform");
        assertUntouched(full(TEXT, "application/json"), "Content-Range", "bytes 0-99/1000");
        assertUntouched(full(TEXT, "image/png"), null, null);
        assertUntouched(full(new byte[1000], "text/plain"), null, null);
        assertUntouched(full(TEXT, null), null, null);
        FullHttpResponse partial = full(TEXT, "text/plain");
        partial.setStatus(HttpResponseStatus.PARTIAL_CONTENT);
        assertUntouched(partial, null, null);
        FullHttpResponse noContent = full(new byte[0], "text/plain");
        noContent.setStatus(HttpResponseStatus.NO_CONTENT);
        assertUntouched(noContent, null, null);
    }

    @Test
    void aStreamedHeadWithAShortLengthIsLeftAlone() {
        CompressingExchange exchange = exchange(get("gzip"));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").setInt(HttpHeaderNames.CONTENT_LENGTH, 100);
        exchange.write(head);
        assertFalse(exchange.rewritesBody());
        exchange.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[100])));
        HttpResponse sent = channel.readOutbound();
        assertNull(sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertEquals("100", sent.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        LastHttpContent body = channel.readOutbound();
        assertEquals(100, body.content().readableBytes());
        body.release();
    }

    @Test
    void aClientThatRefusesEveryCodingStillSeesVary() {
        CompressingExchange exchange = exchange(get("gzip;q=0"));
        FullHttpResponse response = full(TEXT, "text/html; charset=utf-8");
        response.headers().set(HttpHeaderNames.VARY, "Origin");
        exchange.writeAndFlush(response);
        FullHttpResponse sent = channel.readOutbound();
        assertNull(sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertEquals("Origin, Accept-Encoding", sent.headers().get(HttpHeaderNames.VARY));
        assertArrayEquals(TEXT, bytes(sent.content()));
        sent.release();
    }

    @Test
    void strongEtagsBecomeWeakAndRangesAreNoLongerOffered() {
        CompressingExchange exchange = exchange(get("gzip"));
        FullHttpResponse response = full(TEXT, "text/css");
        response.headers().set(HttpHeaderNames.ETAG, "\"v1\"").set(HttpHeaderNames.ACCEPT_RANGES, "bytes")
                .set(HttpHeaderNames.VARY, "accept-encoding");
        exchange.writeAndFlush(response);
        FullHttpResponse sent = channel.readOutbound();
        assertEquals("W/\"v1\"", sent.headers().get(HttpHeaderNames.ETAG));
        assertNull(sent.headers().get(HttpHeaderNames.ACCEPT_RANGES));
        assertEquals("accept-encoding", sent.headers().get(HttpHeaderNames.VARY));
        sent.release();
    }

    @Test
    void aNotModifiedForAWeakenedTagKeepsItWeak() {
        String[][] sentAndExpected = {{"W/\"v1\"", "W/\"v1\""}, {"\"v1\"", "\"v1\""}, {"W/\"v2\"", "\"v1\""}};
        for (String[] tags : sentAndExpected) {
            HttpRequest request = get("gzip");
            request.headers().set(HttpHeaderNames.IF_NONE_MATCH, tags[0]);
            FullHttpResponse notModified = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.NOT_MODIFIED);
            notModified.headers().set(HttpHeaderNames.ETAG, "\"v1\"");
            exchange(request).writeAndFlush(notModified);
            FullHttpResponse sent = channel.readOutbound();
            assertEquals(tags[1], sent.headers().get(HttpHeaderNames.ETAG), tags[0]);
            assertNull(sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
            sent.release();
        }
    }

    @Test
    void headGetsTheHeadOfTheCompressedRepresentation() {
        CompressingExchange exchange = exchange(request(HttpMethod.HEAD, HttpVersion.HTTP_1_1, "br"));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain").setInt(HttpHeaderNames.CONTENT_LENGTH, TEXT.length);
        exchange.write(head);
        exchange.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        HttpResponse sent = channel.readOutbound();
        assertEquals("br", sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertNull(sent.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertNull(sent.headers().get(HttpHeaderNames.TRANSFER_ENCODING));
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, channel.readOutbound());
    }

    @Test
    void http10ClientsGetTheIdentityBody() {
        CompressingExchange exchange = exchange(request(HttpMethod.GET, HttpVersion.HTTP_1_0, "gzip"));
        exchange.writeAndFlush(full(TEXT, "text/plain"));
        FullHttpResponse sent = channel.readOutbound();
        assertNull(sent.headers().get(HttpHeaderNames.CONTENT_ENCODING));
        assertEquals("Accept-Encoding", sent.headers().get(HttpHeaderNames.VARY));
        sent.release();
    }

    @Test
    void anAbortMidBodyReleasesTheEncoder() {
        CompressingExchange exchange = exchange(get("br"));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        exchange.write(head);
        exchange.write(new DefaultHttpContent(Unpooled.wrappedBuffer(TEXT)));
        exchange.discardEncoder();
        assertFalse(exchange.rewritesBody());
        releaseOutbound();
    }

    @Test
    void aFileRegionInACompressedBodyAbortsTheExchange() {
        ChannelExchange inner = new ChannelExchange(channel, get("gzip"), LOCATION);
        CompressingExchange exchange = new CompressingExchange(inner, new ResponseCompression(LOCATION.compression()));
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        exchange.write(head);
        DefaultFileRegion region = new DefaultFileRegion(new File("pom.xml"), 0, 10);
        assertFalse(exchange.write(region).isSuccess());
        assertEquals(0, region.refCnt());
        assertNotNull(inner.abortReason);
        releaseOutbound();
    }

    @Test
    void offWhenNoBlockAppliesAndOnWhenOneDoes() {
        ExchangeHandler handler = exchange -> ExchangeListener.IGNORE_BODY;
        LocationConfig plain = ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { } } ] } ] }""",
                Path.of(".")).servers().get(0).locations().get(0);
        assertSame(handler, CompressingHandler.decorate(handler, plain.compression()));
        assertInstanceOf(CompressingHandler.class, CompressingHandler.decorate(handler, LOCATION.compression()));
    }

    private String codingFor(String acceptEncoding) {
        CompressingExchange exchange = exchange(get(acceptEncoding));
        exchange.writeAndFlush(full(TEXT, "application/json"));
        FullHttpResponse sent = channel.readOutbound();
        String coding = sent.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        sent.release();
        return coding;
    }

    private void assertUntouched(FullHttpResponse response, String header, String value) {
        if (header != null) {
            response.headers().set(header, value);
        }
        String before = response.headers().toString();
        exchange(get("gzip, br")).writeAndFlush(response);
        FullHttpResponse sent = channel.readOutbound();
        assertEquals(before, sent.headers().toString());
        sent.release();
    }

    private CompressingExchange exchange(HttpRequest request) {
        return new CompressingExchange(new ChannelExchange(channel, request, LOCATION),
                new ResponseCompression(LOCATION.compression()));
    }

    private static HttpRequest get(String acceptEncoding) {
        return request(HttpMethod.GET, HttpVersion.HTTP_1_1, acceptEncoding);
    }

    private static HttpRequest request(HttpMethod method, HttpVersion version, String acceptEncoding) {
        HttpRequest request = new DefaultFullHttpRequest(version, method, "/");
        if (acceptEncoding != null) {
            request.headers().set(HttpHeaderNames.ACCEPT_ENCODING, acceptEncoding);
        }
        return request;
    }

    private static FullHttpResponse full(byte[] body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return response;
    }

    /** The head is checked and dropped; the body pieces are joined. */
    private byte[] drainBody() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Object message;
        while ((message = channel.readOutbound()) != null) {
            if (message instanceof HttpContent content) {
                body.writeBytes(bytes(content.content()));
            }
            ReferenceCountUtil.release(message);
        }
        return body.toByteArray();
    }

    private void releaseOutbound() {
        Object message;
        while ((message = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(message);
        }
    }

    private static byte[] bytes(ByteBuf buffer) {
        byte[] bytes = new byte[buffer.readableBytes()];
        buffer.getBytes(buffer.readerIndex(), bytes);
        return bytes;
    }

    /** Inflates a gzip stream cut after a sync flush, past its 10-byte header. */
    private static String inflatePrefix(byte[] gzip) {
        Inflater fresh = new Inflater(true);
        try {
            fresh.setInput(gzip, 10, gzip.length - 10);
            byte[] out = new byte[64 * 1024];
            int n = fresh.inflate(out);
            return new String(out, 0, n, StandardCharsets.UTF_8);
        } catch (java.util.zip.DataFormatException e) {
            throw new AssertionError(e);
        } finally {
            fresh.end();
        }
    }
}
