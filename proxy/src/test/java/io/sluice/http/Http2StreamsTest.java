package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/2 stage of a client connection with the real frame codecs on both sides: a Netty client connection
 * in one embedded channel, ours ({@link Http2Streams} behind our frame codec) in the other, bytes carried
 * between them by the test. Each stream's receiver stands in for the dispatcher.
 */
class Http2StreamsTest {
    private static final SluiceConfig CONFIG = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
            + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of("."));
    /** The client's window for each stream, which it never opens further unless it reads. */
    private static final int CLIENT_WINDOW = 65_535;

    private final List<Receiver> receivers = new ArrayList<>();
    /** What each new stream's receiver does once it has read the request head. */
    private Consumer<Receiver> onRequest = receiver -> { };
    private final ClientResponses responses = new ClientResponses();
    private EmbeddedChannel client;
    private EmbeddedChannel server;
    /** The buffers carried to the server: every one must have been released once its frames were handled. */
    private final List<ByteBuf> toServer = new ArrayList<>();

    @BeforeEach
    void connect() {
        client = new EmbeddedChannel(Http2FrameCodecBuilder.forClient().autoAckSettingsFrame(true).build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        server = new EmbeddedChannel();
        ConnectionTimeouts timeouts = new ConnectionTimeouts(CONFIG.limits(), new LoopClock(server.eventLoop()));
        Http2ConnectionGuard guard = new Http2ConnectionGuard(timeouts);
        Http2FrameCodec codec = Http2Connections.frameCodec(CONFIG.http2(), CONFIG.limits(), CONFIG.shutdownTimeout());
        server.pipeline().addLast(timeouts, new StreamFlushBatcher(), codec,
                new Http2Streams(codec.connection(), guard, CONFIG.limits(), new LoopClock(server.eventLoop()),
                        (stream, streamTimeouts) -> {
                            Receiver receiver = new Receiver(stream);
                            receivers.add(receiver);
                            return receiver;
                        }), guard);
        carry();
        // the client's preface is a shared constant that is never released
        toServer.clear();
    }

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
        for (ByteBuf bytes : toServer) {
            assertEquals(0, bytes.refCnt(), "every frame the server read was released");
        }
    }

    @Test
    void manyConcurrentStreamsEachGetTheirOwnResponseAndEnd() throws Exception {
        onRequest = receiver -> receiver.link.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK, Unpooled.copiedBuffer(receiver.request.uri(), StandardCharsets.US_ASCII)));
        int count = 90;
        for (int i = 0; i < count; i++) {
            open("/s" + i, true);
        }
        carry();

        assertEquals(count, receivers.size());
        assertEquals(count, responses.bodies.size());
        for (int i = 0; i < count; i++) {
            assertTrue(responses.bodies.contains("/s" + i), "response of stream " + i);
        }
        for (Receiver receiver : receivers) {
            assertTrue(receiver.closed, "every stream ended with its response");
            assertEquals("HTTP/2.0", receiver.link.protocol(receiver.request));
        }
    }

    @Test
    void aStreamThatEndsWithItsResponseIsNotReportedUnwritable() throws Exception {
        onRequest = receiver -> receiver.link.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK, Unpooled.copiedBuffer("small", StandardCharsets.US_ASCII)));
        open("/small", true);
        carry();

        Receiver receiver = receivers.get(0);
        assertTrue(receiver.closed);
        assertEquals(List.of("small"), responses.bodies);
        assertEquals(List.of(), receiver.writability, "a closing stream is no client that stopped reading: no send clock");
    }

    @Test
    void aClientResetMidResponseEndsTheExchangeAndReleasesWhatWaits() throws Exception {
        ByteBuf pending = Unpooled.wrappedBuffer(new byte[4 * CLIENT_WINDOW]);
        onRequest = receiver -> {
            // the body is not read: its frames wait in the stream; the response is more than the client's window
            receiver.link.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
            receiver.link.writeAndFlush(new DefaultHttpContent(pending));
        };
        Http2StreamChannel stream = open("/upload", false);
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[1000]), false)).sync();
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[1000]), false)).sync();
        carryToServer();
        Receiver receiver = receivers.get(0);
        assertTrue(pending.refCnt() > 0, "the response body waits for the client's window");
        assertFalse(receiver.closed);

        stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL)).sync();
        carry();

        assertTrue(receiver.closed, "the client's reset ended the exchange");
        assertEquals(0, pending.refCnt(), "the unsent part of the response was released");
        assertEquals(1, receiver.received.size(), "no body part was handed over unasked");
        assertFalse(receiver.link.writable(), "an ended stream takes no more bytes");
    }

    @Test
    void aResponseBodyIsSentNoFasterThanTheClientsWindowAllows() throws Exception {
        onRequest = receiver -> {
            receiver.link.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
            receiver.writeWhileWritable();
        };
        open("/big", true);
        carryToServer();
        Receiver receiver = receivers.get(0);

        ServerDataFrames sent = ServerDataFrames.drain(server, client.pipeline().firstContext());
        assertEquals(CLIENT_WINDOW, sent.bytes, "the client's window is filled, and no more");
        assertFalse(receiver.link.writable(), "the stream stops taking bytes while the window is shut");
        assertTrue(receiver.written < Receiver.BODY, "the writer was held back");
    }

    @Test
    void requestBodyPartsReachTheReceiverOnlyWhenItAsks() throws Exception {
        Http2StreamChannel stream = open("/upload", false);
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("one", StandardCharsets.US_ASCII), false)).sync();
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("two", StandardCharsets.US_ASCII), true)).sync();
        carry();
        Receiver receiver = receivers.get(0);
        assertEquals(1, receiver.received.size(), "only the head was asked for");

        receiver.link.read();
        receiver.link.read();
        receiver.link.read();

        assertEquals(3, receiver.received.size());
        assertEquals("one", ((DefaultHttpContent) receiver.received.get(1)).content().toString(StandardCharsets.US_ASCII));
        receiver.releaseReceived();
    }

    private Http2StreamChannel open(String path, boolean endStream) throws Exception {
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(client).handler(responses).open().sync().getNow();
        Http2Headers headers = new DefaultHttp2Headers().method(endStream ? "GET" : "POST").path(path)
                .scheme("https").authority("localhost");
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream)).sync();
        return stream;
    }

    /** Carries bytes both ways until neither side has more to say. */
    private void carry() {
        boolean moved = true;
        while (moved) {
            moved = carryToServer();
            for (Object bytes = server.readOutbound(); bytes != null; bytes = server.readOutbound()) {
                client.writeInbound(bytes);
                moved = true;
            }
            client.runPendingTasks();
        }
    }

    private boolean carryToServer() {
        boolean moved = false;
        for (Object bytes = client.readOutbound(); bytes != null; bytes = client.readOutbound()) {
            toServer.add((ByteBuf) bytes);
            server.writeInbound(bytes);
            moved = true;
        }
        server.runPendingTasks();
        return moved;
    }

    /** Stands in for a stream's dispatcher: reads the head, then does what the test says. */
    private final class Receiver implements ClientLink.Receiver {
        static final int BODY = 8 * CLIENT_WINDOW;
        final ClientLink link;
        final List<Object> received = new ArrayList<>();
        /** Every writability the stream reported, in order. */
        final List<Boolean> writability = new ArrayList<>();
        HttpRequest request;
        boolean closed;
        int written;

        Receiver(ClientLink link) {
            this.link = link;
        }

        @Override
        public void start() {
            link.read();
        }

        @Override
        public void received(Object msg) {
            received.add(msg);
            if (msg instanceof HttpRequest head) {
                request = head;
                onRequest.accept(this);
            }
        }

        @Override
        public void expired(ConnectionTimeouts.Phase phase) {
        }

        @Override
        public void writabilityChanged(boolean writable) {
            writability.add(writable);
            if (writable) {
                writeWhileWritable();
            }
        }

        @Override
        public void closed() {
            closed = true;
            releaseReceived();
        }

        void writeWhileWritable() {
            while (written < BODY && link.writable()) {
                written += 16 * 1024;
                link.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[16 * 1024])));
            }
        }

        void releaseReceived() {
            received.forEach(ReferenceCountUtil::release);
        }
    }

    /** The client's streams' response heads and bodies, one body string per stream. */
    @ChannelHandler.Sharable
    private static final class ClientResponses extends ChannelInboundHandlerAdapter {
        final List<String> bodies = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame data) {
                bodies.add(data.content().toString(StandardCharsets.US_ASCII));
            } else if (msg instanceof Http2HeadersFrame headers) {
                assertEquals("200", headers.headers().status().toString());
                assertFalse(headers.headers().contains(HttpHeaderNames.CONNECTION));
            }
            ReferenceCountUtil.release(msg);
        }
    }
}
