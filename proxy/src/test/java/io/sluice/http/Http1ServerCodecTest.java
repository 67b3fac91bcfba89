package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codec must put exactly the bytes on the wire that Netty's HttpServerCodec does, for every kind of response. */
class Http1ServerCodecTest {
    private static final HttpDecoderConfig CONFIG = new HttpDecoderConfig().setStrictLineParsing(true)
            .setUseRfc9112TransferEncoding(true);

    @Test
    void smallCompleteResponseIsOneBufferWithTheSameBytes() {
        Supplier<List<Object>> responses = () -> List.of(full(HttpResponseStatus.OK, "hello", "content-type", "text/plain"));
        assertEquals(wire(new HttpServerCodec(CONFIG), "GET / HTTP/1.1\r\nHost: a\r\n\r\n", responses.get()),
                wire(ours(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n", responses.get()));
        EmbeddedChannel ours = new EmbeddedChannel(ours());
        ours.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        releaseInbound(ours);
        ours.writeOutbound(full(HttpResponseStatus.OK, "x".repeat(Http1ServerCodec.MERGE_BODY)));
        ByteBuf single = ours.readOutbound();
        assertTrue(single.toString(StandardCharsets.US_ASCII).endsWith("x".repeat(Http1ServerCodec.MERGE_BODY)));
        single.release();
        assertFalse(ours.finishAndReleaseAll());
    }

    @Test
    void headroomResponseGetsItsHeadInFrontOfItsBodyInTheSameBuffer() {
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                StandardCharsets.US_ASCII));
        releaseInbound(channel);
        ByteBuf body = HeadroomResponse.body(channel.alloc(), 5);
        body.writeBytes("hello".getBytes(StandardCharsets.US_ASCII));
        channel.writeOutbound(new HeadroomResponse(HttpResponseStatus.OK, body, headers("content-length", "5")));
        ByteBuf sent = channel.readOutbound();
        assertTrue(sent == body || sent.unwrap() == body.unwrap(), "the body's own buffer carries the head");
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello", sent.toString(StandardCharsets.US_ASCII));
        sent.release();
        // a head larger than the headroom goes the ordinary way, with the same bytes
        ByteBuf second = HeadroomResponse.body(channel.alloc(), 2);
        second.writeBytes("ok".getBytes(StandardCharsets.US_ASCII));
        String big = "v".repeat(HeadroomResponse.HEADROOM);
        channel.writeOutbound(new HeadroomResponse(HttpResponseStatus.OK, second, headers("x-big", big)));
        ByteBuf other = channel.readOutbound();
        assertEquals("HTTP/1.1 200 OK\r\nx-big: " + big + "\r\n\r\nok", other.toString(StandardCharsets.US_ASCII));
        other.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void fileResponseSendsItsHeadInTheHeadroomAndThenItsRegion(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f.bin"), "0123456789");
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
                StandardCharsets.US_ASCII));
        releaseInbound(channel);
        DefaultFileRegion region = new DefaultFileRegion(file.toFile(), 2, 6);
        HeadroomResponse response = HeadroomResponse.withFile(channel.alloc(), HttpResponseStatus.PARTIAL_CONTENT,
                headers("content-length", "6"), region);
        assertEquals(6, response.bodyBytes());
        channel.writeOutbound(response);
        ByteBuf head = channel.readOutbound();
        assertEquals("HTTP/1.1 206 Partial Content\r\ncontent-length: 6\r\n\r\n", head.toString(StandardCharsets.US_ASCII));
        head.release();
        assertSame(region, channel.readOutbound(), "the region follows the head");
        assertEquals(1, region.refCnt(), "the one reference left is the socket's");
        region.release();
        // the answer to HEAD keeps its head and drops the region
        DefaultFileRegion unsent = new DefaultFileRegion(file.toFile(), 0, 10);
        channel.writeOutbound(HeadroomResponse.withFile(channel.alloc(), HttpResponseStatus.OK,
                headers("content-length", "10"), unsent));
        ByteBuf headOnly = channel.readOutbound();
        assertEquals("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", headOnly.toString(StandardCharsets.US_ASCII));
        headOnly.release();
        assertEquals(0, unsent.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void fileResponseWithAHeadLargerThanTheHeadroomStillSendsBoth(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f.bin"), "abc");
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
        releaseInbound(channel);
        String big = "v".repeat(HeadroomResponse.HEADROOM);
        DefaultFileRegion region = new DefaultFileRegion(file.toFile(), 0, 3);
        channel.writeOutbound(HeadroomResponse.withFile(channel.alloc(), HttpResponseStatus.OK,
                headers("x-big", big).add("content-length", "3"), region));
        ByteBuf head = channel.readOutbound();
        assertEquals("HTTP/1.1 200 OK\r\nx-big: " + big + "\r\ncontent-length: 3\r\n\r\n",
                head.toString(StandardCharsets.US_ASCII));
        head.release();
        assertSame(region, channel.readOutbound());
        region.release();
        assertEquals(0, region.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void fileResponseReleasedUnsentReleasesItsRegion(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f.bin"), "abc");
        DefaultFileRegion region = new DefaultFileRegion(file.toFile(), 0, 3);
        HeadroomResponse response = HeadroomResponse.withFile(UnpooledByteBufAllocator.DEFAULT, HttpResponseStatus.OK,
                headers("content-length", "3"), region);
        response.retain();
        assertEquals(2, region.refCnt(), "buffer and region move together");
        assertFalse(response.release());
        assertTrue(response.release());
        assertEquals(0, region.refCnt());
        assertEquals(0, response.content().refCnt());
    }

    @Test
    void everyKindOfResponseEncodesAsNettyDoes() {
        String requests = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                + "HEAD /b HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /c HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /d HTTP/1.1\r\nHost: a\r\n\r\n"
                + "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"
                + "GET /f HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /g HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"
                + "GET /h HTTP/1.0\r\nHost: a\r\n\r\n"
                + "GET /i HTTP/1.1\r\nHost: a\r\n\r\n";
        Supplier<List<Object>> responses = () -> {
            List<Object> out = new ArrayList<>();
            // a large body: not merged into the head's buffer, still the same bytes
            out.add(full(HttpResponseStatus.OK, "y".repeat(Http1ServerCodec.MERGE_BODY + 1), "etag", "\"1-2\""));
            // HEAD: the head keeps Content-Length, the body is dropped
            out.add(full(HttpResponseStatus.OK, "not sent", "content-length", "8"));
            // 204 and 304: framing headers stripped or kept as Netty does
            out.add(full(HttpResponseStatus.NO_CONTENT, "", "content-length", "0", "transfer-encoding", "chunked"));
            out.add(full(HttpResponseStatus.NOT_MODIFIED, "", "etag", "\"x\""));
            // CONNECT 2xx: no Transfer-Encoding
            DefaultHttpResponse tunnel = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            tunnel.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            out.add(tunnel);
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
            // a streamed, chunked response with trailers; a value with chars beyond US-ASCII
            DefaultHttpResponse chunked = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            chunked.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
                    .set("x-name", "caf\u00e9 \u4e2d").set(AsciiString.cached("x-ascii"), AsciiString.cached("v"));
            out.add(chunked);
            out.add(new DefaultHttpContent(Unpooled.copiedBuffer("part", StandardCharsets.US_ASCII)));
            DefaultLastHttpContent last = new DefaultLastHttpContent(Unpooled.copiedBuffer("end", StandardCharsets.US_ASCII));
            last.trailingHeaders().set("x-trailer", "t");
            out.add(last);
            // an interim 100 answers no request: the final response still pairs with POST
            out.add(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            out.add(full(HttpResponseStatus.CREATED, "made"));
            // HTTP/1.0 status line and an unusual reason phrase
            out.add(new DefaultFullHttpResponse(HttpVersion.HTTP_1_0, new HttpResponseStatus(299, "Odd Reason"),
                    Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII)));
            // a complete response that declares chunked framing is encoded as chunks
            FullHttpResponse fullChunked = full(HttpResponseStatus.OK, "abc", "transfer-encoding", "chunked");
            out.add(fullChunked);
            return out;
        };
        String expected = wire(new HttpServerCodec(CONFIG), requests, responses.get());
        assertEquals(expected, wire(ours(), requests, responses.get()));
        assertTrue(expected.contains("end\r\n0\r\nx-trailer: t\r\n\r\n"));
    }

    @Test
    void tooManyPipelinedRequestsFailTheConnection() {
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        String many = "GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(Http1ServerCodec.MAX_PIPELINE_DEPTH + 1);
        try {
            channel.writeInbound(Unpooled.copiedBuffer(many, StandardCharsets.US_ASCII));
        } catch (RuntimeException expected) {
            // the decoder's failure reaches the pipeline's end as an exception
        }
        channel.finishAndReleaseAll();
        EmbeddedChannel depth = new EmbeddedChannel(ours());
        depth.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(Http1ServerCodec.MAX_PIPELINE_DEPTH),
                StandardCharsets.US_ASCII));
        int requests = 0;
        for (Object msg; (msg = depth.readInbound()) != null; ) {
            if (msg instanceof HttpRequest) {
                requests++;
            }
            ReferenceCountUtil.release(msg);
        }
        assertEquals(Http1ServerCodec.MAX_PIPELINE_DEPTH, requests);
        assertFalse(depth.finishAndReleaseAll());
    }

    @Test
    void headAnsweredAfterMoreThanThirtyTwoPipelinedRequestsStaysBodiless() {
        StringBuilder requests = new StringBuilder();
        List<Object> responses = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            requests.append(i % 3 == 0 ? "HEAD" : "GET").append(" / HTTP/1.1\r\nHost: a\r\n\r\n");
        }
        Supplier<List<Object>> answers = () -> {
            responses.clear();
            for (int i = 0; i < 40; i++) {
                responses.add(full(HttpResponseStatus.OK, "body" + i, "content-length", Integer.toString(("body" + i).length())));
            }
            return new ArrayList<>(responses);
        };
        String expected = wire(new HttpServerCodec(CONFIG), requests.toString(), answers.get());
        assertEquals(expected, wire(ours(), requests.toString(), answers.get()));
        assertFalse(expected.contains("body0"));
        assertTrue(expected.contains("body1"));
    }

    /**
     * A connection that idles or changes protocol takes its codec out between requests: the bytes of a next
     * request that the codec had read but not yet decoded go on, as bytes, to the handler after it.
     */
    @Test
    void removedCodecHandsOnTheBytesItHadNotDecoded() {
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HT", StandardCharsets.US_ASCII));
        HttpRequest first = channel.readInbound();
        assertEquals("/", first.uri());
        ReferenceCountUtil.release(first);
        channel.writeOutbound(full(HttpResponseStatus.OK, "ok"));
        ByteBuf response = channel.readOutbound();
        assertTrue(response.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200 OK\r\n"));
        response.release();
        channel.pipeline().remove(Http1ServerCodec.class);
        ByteBuf rest = channel.readInbound();
        assertEquals("GET /next HT", rest.toString(StandardCharsets.US_ASCII));
        rest.release();
        channel.writeOutbound(Unpooled.copiedBuffer("raw", StandardCharsets.US_ASCII));
        ByteBuf raw = channel.readOutbound();
        assertEquals("raw", raw.toString(StandardCharsets.US_ASCII), "without the codec, writes pass unencoded");
        raw.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void malformedHeadIsADecoderFailure() {
        EmbeddedChannel channel = new EmbeddedChannel(ours());
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost : a\r\n\r\n", StandardCharsets.US_ASCII));
        HttpRequest request = channel.readInbound();
        assertTrue(request.decoderResult().isFailure());
        channel.finishAndReleaseAll();
    }

    private static Http1ServerCodec ours() {
        return new Http1ServerCodec(8192, 16384, HttpCodecs.MAX_CHUNK_SIZE);
    }

    private static FullHttpResponse full(HttpResponseStatus status, String body, String... headers) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII));
        for (int i = 0; i < headers.length; i += 2) {
            response.headers().add(headers[i], headers[i + 1]);
        }
        return response;
    }

    private static HttpHeaders headers(String name, String value) {
        return new DefaultHttpHeaders().add(name, value);
    }

    private static String wire(ChannelHandler codec, String requests, List<Object> responses) {
        return wire(new EmbeddedChannel(codec), requests, responses);
    }

    private static String wire(EmbeddedChannel channel, String requests, List<Object> responses) {
        channel.writeInbound(Unpooled.copiedBuffer(requests, StandardCharsets.US_ASCII));
        releaseInbound(channel);
        StringBuilder out = new StringBuilder();
        for (Object response : responses) {
            channel.writeOutbound(response);
            for (Object msg; (msg = channel.readOutbound()) != null; ) {
                ByteBuf buf = assertInstanceOf(ByteBuf.class, msg);
                out.append(buf.toString(StandardCharsets.ISO_8859_1));
                buf.release();
            }
        }
        channel.finishAndReleaseAll();
        return out.toString();
    }

    private static void releaseInbound(EmbeddedChannel channel) {
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
    }
}
