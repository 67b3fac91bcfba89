package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Http2StreamCodecTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new Translation());

    @AfterEach
    void tearDown() {
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aRequestWhoseHeadersEndTheStreamArrivesCompleteOverTheSharedEmptyBuffer() {
        channel.writeInbound(new DefaultHttp2HeadersFrame(get("/a?b=1").add("accept", "text/html"), true));

        FullHttpRequest request = channel.readInbound();
        assertEquals(HttpMethod.GET, request.method());
        assertEquals("/a?b=1", request.uri());
        assertEquals("example.com", request.headers().get(HttpHeaderNames.HOST));
        assertEquals("text/html", request.headers().get(HttpHeaderNames.ACCEPT));
        assertSame(Unpooled.EMPTY_BUFFER, request.content());
        assertFalse(HttpUtil.isTransferEncodingChunked(request));
    }

    @Test
    void aRequestWithBodyAndTrailersArrivesAsHeadContentAndLastContent() {
        channel.writeInbound(new DefaultHttp2HeadersFrame(post("/upload"), false),
                new DefaultHttp2DataFrame(ascii("hello"), false),
                new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().add("checksum", "42"), true));

        HttpRequest head = channel.readInbound();
        assertFalse(head instanceof LastHttpContent);
        assertTrue(HttpUtil.isTransferEncodingChunked(head), "a body of undeclared length reads as chunked");
        HttpContent content = channel.readInbound();
        assertFalse(content instanceof LastHttpContent);
        assertEquals("hello", content.content().toString(StandardCharsets.US_ASCII));
        content.release();
        LastHttpContent trailers = channel.readInbound();
        assertEquals("42", trailers.trailingHeaders().get("checksum"));
        trailers.release();
    }

    @Test
    void aDeclaredLengthStaysAndTheLastDataFrameEndsTheBody() {
        channel.writeInbound(new DefaultHttp2HeadersFrame(post("/upload").add("content-length", "2"), false),
                new DefaultHttp2DataFrame(ascii("ok"), true));

        HttpRequest head = channel.readInbound();
        assertEquals(2, HttpUtil.getContentLength(head));
        assertFalse(HttpUtil.isTransferEncodingChunked(head));
        LastHttpContent last = channel.readInbound();
        assertEquals("ok", last.content().toString(StandardCharsets.US_ASCII));
        last.release();
    }

    @Test
    void anAuthorityThatConflictsWithHostIsRejected() {
        Http2Headers headers = get("/").add("host", "other.example");

        assertThrows(Http2Exception.class, () -> channel.writeInbound(new DefaultHttp2HeadersFrame(headers, true)));
        assertNull(channel.readInbound());
    }

    @Test
    void aResponseWithBodyIsAHeadersFrameThenADataFrameThatEndsTheStream() {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                ascii("body"));
        response.headers().set("Content-Type", "text/plain").set(HttpHeaderNames.CONNECTION, "keep-alive")
                .set("Keep-Alive", "timeout=5").set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");

        ChannelFuture written = channel.writeAndFlush(response);

        Http2HeadersFrame head = channel.readOutbound();
        assertFalse(head.isEndStream());
        assertEquals("200", head.headers().status().toString());
        assertEquals("text/plain", head.headers().get("content-type").toString());
        assertNull(head.headers().get("connection"), "connection-specific headers are not HTTP/2's");
        assertNull(head.headers().get("keep-alive"));
        assertNull(head.headers().get("transfer-encoding"));
        Http2DataFrame body = channel.readOutbound();
        assertTrue(body.isEndStream());
        assertEquals("body", body.content().toString(StandardCharsets.US_ASCII));
        body.release();
        assertTrue(written.isSuccess());
    }

    @Test
    void aResponseWithoutBodyIsOneHeadersFrameThatEndsTheStream() {
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));

        Http2HeadersFrame head = channel.readOutbound();
        assertTrue(head.isEndStream());
        assertEquals("204", head.headers().status().toString());
        assertNull(channel.readOutbound());
    }

    @Test
    void anInterimResponseLeavesTheStreamOpen() {
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));

        Http2HeadersFrame interim = channel.readOutbound();
        assertFalse(interim.isEndStream());
        assertEquals("100", interim.headers().status().toString());
    }

    @Test
    void aStreamedResponseEndsWithItsTrailers() {
        channel.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        channel.write(new DefaultHttpContent(ascii("part")));
        LastHttpContent last = new DefaultLastHttpContent(ascii("end"));
        last.trailingHeaders().set("Grpc-Status", "0");
        channel.writeAndFlush(last);

        assertFalse(channel.<Http2HeadersFrame>readOutbound().isEndStream());
        Http2DataFrame part = channel.readOutbound();
        assertFalse(part.isEndStream());
        part.release();
        Http2DataFrame end = channel.readOutbound();
        assertFalse(end.isEndStream(), "the trailers end the stream");
        assertEquals("end", end.content().toString(StandardCharsets.US_ASCII));
        end.release();
        Http2HeadersFrame trailers = channel.readOutbound();
        assertTrue(trailers.isEndStream());
        assertEquals("0", trailers.headers().get("grpc-status").toString());
    }

    @Test
    void anEmptyLastContentEndsTheStreamWithAnEmptyDataFrame() {
        channel.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);

        assertFalse(channel.<Http2HeadersFrame>readOutbound().isEndStream());
        Http2DataFrame end = channel.readOutbound();
        assertTrue(end.isEndStream());
        assertEquals(0, end.content().readableBytes());
        ReferenceCountUtil.release(end);
    }

    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("https").authority("example.com").path(path);
    }

    private static Http2Headers post(String path) {
        return new DefaultHttp2Headers().method("POST").scheme("https").authority("example.com").path(path);
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** Puts the translation between the test and an embedded channel: frames in, messages out, and back. */
    private static final class Translation extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Http2Exception {
            if (msg instanceof Http2HeadersFrame frame) {
                ctx.fireChannelRead(Http2StreamCodec.message(frame));
            } else {
                ctx.fireChannelRead(Http2StreamCodec.message((Http2DataFrame) msg));
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            Http2StreamCodec.writeFrames(ctx, null, msg, promise, ctx.voidPromise());
        }
    }
}
