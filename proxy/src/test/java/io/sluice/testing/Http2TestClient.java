package io.sluice.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client on Netty's frame codec for tests that must see what {@code java.net.http} hides:
 * response trailers, the frames of a stream as they arrive, and many streams on one connection.
 * Cleartext with prior knowledge, or TLS with ALPN {@code h2}.
 */
public final class Http2TestClient implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel connection;
    private final String scheme;

    private Http2TestClient(int port, SslContext ssl) throws Exception {
        this.scheme = ssl == null ? "http" : "https";
        connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (ssl != null) {
                            channel.pipeline().addLast(ssl.newHandler(channel.alloc(), "localhost", port));
                        }
                        channel.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        SslHandler handler = connection.pipeline().get(SslHandler.class);
        if (handler != null) {
            handler.handshakeFuture().sync();
            if (!"h2".equals(handler.applicationProtocol())) {
                throw new IOException("server did not agree to h2: " + handler.applicationProtocol());
            }
        }
    }

    public static Http2TestClient cleartext(int port) throws Exception {
        return new Http2TestClient(port, null);
    }

    /** {@code ssl} must offer {@code h2} by ALPN and trust the server's certificate. */
    public static Http2TestClient tls(int port, SslContext ssl) throws Exception {
        return new Http2TestClient(port, ssl);
    }

    /** Starts a request: its HEADERS, ending the stream when {@code endStream}. */
    public Call call(String method, String path, Map<String, String> headers, boolean endStream) throws Exception {
        Call call = new Call();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(call).open().sync().getNow();
        call.stream = stream;
        Http2Headers head = new DefaultHttp2Headers().method(method).path(path).scheme(scheme).authority("localhost");
        headers.forEach(head::add);
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(head, endStream)).sync();
        return call;
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** One stream: what it received, as it arrives. */
    public static final class Call extends ChannelInboundHandlerAdapter {
        public final CompletableFuture<Http2Headers> headers = new CompletableFuture<>();
        /** The trailing HEADERS; empty headers when the stream ended with DATA or with its only HEADERS. */
        public final CompletableFuture<Http2Headers> trailers = new CompletableFuture<>();
        public final CompletableFuture<byte[]> body = new CompletableFuture<>();
        public final BlockingQueue<byte[]> pieces = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private Http2StreamChannel stream;

        /** Sends one DATA frame. */
        public void send(byte[] data, boolean endStream) throws InterruptedException {
            stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(data), endStream)).sync();
        }

        /** The next DATA piece received, waiting up to 10 seconds. */
        public byte[] nextPiece() throws InterruptedException {
            byte[] piece = pieces.poll(10, TimeUnit.SECONDS);
            if (piece == null) {
                throw new AssertionError("no DATA within 10s");
            }
            return piece;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    if (!headers.isDone()) {
                        headers.complete(frame.headers());
                        if (frame.isEndStream()) {
                            end(new DefaultHttp2Headers());
                        }
                    } else {
                        end(frame.headers());
                    }
                } else if (msg instanceof Http2DataFrame data) {
                    byte[] piece = ByteBufUtil.getBytes(data.content());
                    received.writeBytes(piece);
                    if (piece.length > 0) {
                        pieces.add(piece);
                    }
                    if (data.isEndStream()) {
                        end(new DefaultHttp2Headers());
                    }
                } else if (msg instanceof Http2ResetFrame reset) {
                    fail(new IOException("stream reset: " + reset.errorCode()));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void end(Http2Headers trailing) {
            trailers.complete(trailing);
            body.complete(received.toByteArray());
        }

        private void fail(Throwable cause) {
            headers.completeExceptionally(cause);
            trailers.completeExceptionally(cause);
            body.completeExceptionally(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new IOException("stream closed before it ended"));
            ctx.fireChannelInactive();
        }
    }
}
