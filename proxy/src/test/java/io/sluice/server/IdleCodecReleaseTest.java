package io.sluice.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LimitsConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.http.LoopClock;
import io.sluice.http.ReadAheadFlowControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** An idle keep-alive connection parks without its HTTP codec and flow control and carries on with fresh ones. */
class IdleCodecReleaseTest {
    private static final LimitsConfig LIMITS = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
            + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of(".")).limits();
    /** Longer than the release delay, with room for a slow machine. */
    private static final long IDLE_MILLIS = TimeUnit.NANOSECONDS.toMillis(ConnectionTimeouts.RELEASE_AFTER_NANOS) + 400;

    private EmbeddedChannel channel;
    private ConnectionTimeouts timeouts;

    /** A connection as a TLS listener builds it after ALPN: with its codec from the start. */
    private void connection() {
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        timeouts = new ConnectionTimeouts(LIMITS, new LoopClock(channel.eventLoop()));
        channel.pipeline().addLast(HttpChannelInitializer.TIMEOUTS, timeouts);
        channel.pipeline().addLast(HttpChannelInitializer.CODEC, HttpCodecs.serverCodec(LIMITS));
        channel.pipeline().addLast(HttpChannelInitializer.FLOW, new ReadAheadFlowControl());
        // where the dispatcher stands in the real pipeline: codec and flow control come back in front of it
        channel.pipeline().addLast(HttpChannelInitializer.DISPATCHER, new Responder());
        timeouts.releaseWhenIdle(new IdleCodecRelease(LIMITS));
    }

    /** A connection as a plain HTTP/1.1 listener accepts it: released until its first byte. */
    private void releasedConnection() {
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        timeouts = new ConnectionTimeouts(LIMITS, new LoopClock(channel.eventLoop()));
        channel.pipeline().addLast(HttpChannelInitializer.TIMEOUTS, timeouts);
        channel.pipeline().addLast(HttpChannelInitializer.DISPATCHER, new Responder());
        timeouts.openReleased(new IdleCodecRelease(LIMITS));
    }

    @AfterEach
    void noLeftovers() {
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void connectionOpenedReleasedGetsItsCodecWithItsFirstByteAndReleasesItAgainWhenIdle() throws InterruptedException {
        releasedConnection();
        assertNull(channel.pipeline().get(HttpChannelInitializer.CODEC), "nothing sent yet, nothing to parse");
        assertNull(channel.pipeline().get(HttpChannelInitializer.FLOW));

        channel.writeInbound(ascii("GET /first HTTP/1.1\r\n"));
        assertNotNull(channel.pipeline().get(HttpChannelInitializer.CODEC));
        assertNotNull(channel.pipeline().get(HttpChannelInitializer.FLOW));
        channel.writeInbound(ascii("Host: a\r\n\r\n"));
        assertEquals(response("/first"), readOutbound(), "a head split over two reads");

        idle();
        assertNull(channel.pipeline().get(HttpChannelInitializer.CODEC), "idle again after the first request");
        channel.writeInbound(ascii("GET /second HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals(response("/second"), readOutbound());
    }

    @Test
    void idleConnectionReleasesItsCodecAndServesThePipelinedRequestsThatWakeIt() throws InterruptedException {
        connection();
        channel.writeInbound(ascii("GET /first HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals(response("/first"), readOutbound());

        idle();
        assertNull(channel.pipeline().get(HttpChannelInitializer.CODEC), "the idle connection let its codec go");
        assertNull(channel.pipeline().get(HttpChannelInitializer.FLOW), "and its flow control");

        channel.writeInbound(ascii("HEAD /second HTTP/1.1\r\nHost: a\r\n\r\nGET /third HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertNotNull(channel.pipeline().get(HttpChannelInitializer.CODEC));
        assertNotNull(channel.pipeline().get(HttpChannelInitializer.FLOW));
        assertEquals(head("/second") + response("/third"), readOutbound(), "in order, and HEAD without a body");
    }

    @Test
    void connectionInTheMiddleOfARequestHeadKeepsItsCodec() throws InterruptedException {
        connection();
        channel.writeInbound(ascii("GET /first HTTP/1.1\r\nHost: a\r\n\r\n"));
        assertEquals(response("/first"), readOutbound());

        channel.writeInbound(ascii("GET /second HTTP/1.1\r\n"));
        idle();
        assertNotNull(channel.pipeline().get(HttpChannelInitializer.CODEC), "half a head is not idle");

        channel.writeInbound(ascii("Host: a\r\n\r\n"));
        assertEquals(response("/second"), readOutbound());
    }

    private void idle() throws InterruptedException {
        Thread.sleep(IDLE_MILLIS);
        channel.runScheduledPendingTasks();
    }

    private String readOutbound() {
        StringBuilder text = new StringBuilder();
        Object message;
        while ((message = channel.readOutbound()) != null) {
            text.append(((ByteBuf) message).toString(StandardCharsets.US_ASCII));
            ReferenceCountUtil.release(message);
        }
        return text.toString();
    }

    private static String head(String path) {
        return "HTTP/1.1 200 OK\r\ncontent-length: " + path.length() + "\r\n\r\n";
    }

    private static String response(String path) {
        return head(path) + path;
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /**
     * Answers each request with its path, then waits for the next one as the dispatcher does: it asks for
     * one message at a time (the request's end after its head, then the next request) and renews the wish
     * at the end of a read cycle that left it unanswered.
     */
    private final class Responder extends ChannelInboundHandlerAdapter {
        private String path;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.read();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    timeouts.requestReceived(false);
                    path = request.uri();
                }
                if (msg instanceof LastHttpContent) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            Unpooled.copiedBuffer(path, StandardCharsets.US_ASCII));
                    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, path.length());
                    ctx.writeAndFlush(response);
                    timeouts.awaitRequest();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            ctx.read();
        }
    }
}
