package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batcher in front of the real HTTP/2 frame codec, with a stream that writes whenever it is writable, as a
 * proxied response does: a client must never get more DATA than its window. The codec's flow controller counts
 * what a frame sent only once the frame's write has returned. When the batcher flushed what it held as soon as
 * the connection turned unwritable, that flush ran inside such a write: the socket took everything, the stream
 * became writable, and its next chunk was appended to the very frame being written, which then went out past
 * the window. The client ended the connection with FLOW_CONTROL_ERROR and its streams died ("stream closed
 * before it ended" in Http2UpstreamIT's streamed responses).
 */
class StreamFlushBatcherFlowControlTest {
    private static final SluiceConfig CONFIG = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
            + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of("."));
    /** The client's windows, which it never opens further here. */
    private static final int WINDOW = 65_535;
    private static final int CHUNK = 16 * 1024;

    private final EmbeddedChannel client = new EmbeddedChannel(Http2FrameCodecBuilder.forClient().build(),
            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
    private final EmbeddedChannel server = new EmbeddedChannel();
    private final WritesWhileWritable response = new WritesWhileWritable(8 * WINDOW);

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    @Test
    void aStreamMadeWritableDuringItsOwnWriteNeverGetsMoreThanTheClientsWindow() throws Exception {
        // one DATA frame fits in the connection's outbound buffer, a second does not
        server.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, CHUNK + CHUNK / 2));
        server.pipeline().addLast(new StreamFlushBatcher(),
                Http2Connections.frameCodec(CONFIG.http2(), CONFIG.limits(), CONFIG.shutdownTimeout()),
                new Http2MultiplexHandler(response), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        // the body comes once the codec has flushed the read's frames, which the batcher
                        // holds until the read ends: an upstream's data arriving then, say
                        response.writeMore();
                    }
                });

        Http2StreamChannel request = new Http2StreamChannelBootstrap(client).open().sync().getNow();
        request.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().method("GET").path("/")
                .scheme("http").authority("localhost"), true)).sync();
        for (Object bytes = client.readOutbound(); bytes != null; bytes = client.readOutbound()) {
            server.writeInbound(bytes);
        }
        server.runPendingTasks();

        ServerDataFrames sent = ServerDataFrames.drain(server, client.pipeline().firstContext());
        assertTrue(sent.frames > 1, "the response went out in several DATA frames: " + sent.frames);
        assertEquals(WINDOW, sent.bytes, "the client's window is filled, and no more");
    }

    /** Writes a response body in chunks for as long as its stream is writable, and again once it is. */
    private static final class WritesWhileWritable extends ChannelInboundHandlerAdapter {
        private final int body;
        private int written;
        /** The stream's, once its request has come. */
        private ChannelHandlerContext ctx;

        WritesWhileWritable(int body) {
            this.body = body;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            // the stream stops taking data once a chunk and a half waits for the client's window
            ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(CHUNK / 2, CHUNK + CHUNK / 2));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (msg instanceof Http2HeadersFrame) {
                this.ctx = ctx;
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), false));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeMore();
            ctx.fireChannelWritabilityChanged();
        }

        void writeMore() {
            while (ctx != null && written < body && ctx.channel().isWritable()) {
                written += CHUNK;
                ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[CHUNK]), written >= body));
            }
        }
    }
}
