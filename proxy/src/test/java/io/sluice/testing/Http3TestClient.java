package io.sluice.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.DefaultHttp3UnknownFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * An HTTP/3 client on Netty's QUIC and HTTP/3 client codecs (curl in Debian 12 has no HTTP/3): one QUIC
 * connection, one request stream per request, trusting only the given CA certificate.
 */
public final class Http3TestClient implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel socket;
    private final QuicChannel connection;
    private final String authority;

    /** A response: status, header fields (lower-case names, last value wins) and the whole body. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
    }

    private Http3TestClient(File caCertificate, String serverName, int port, long streamWindow) throws Exception {
        this.authority = serverName + ":" + port;
        QuicSslContext ssl = QuicSslContextBuilder.forClient()
                .trustManager(caCertificate)
                .applicationProtocols(Http3.supportedApplicationProtocols())
                .build();
        socket = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(Http3.newQuicClientCodecBuilder()
                        .sslEngineProvider(quic -> ssl.newEngine(quic.alloc(), serverName, port))
                        .maxIdleTimeout(30, TimeUnit.SECONDS)
                        .initialMaxData(64L << 20)
                        .initialMaxStreamDataBidirectionalLocal(streamWindow)
                        .build())
                .bind(0).sync().channel();
        connection = QuicChannel.newBootstrap(socket)
                .handler(new Http3ClientConnectionHandler())
                .remoteAddress(new InetSocketAddress("127.0.0.1", port))
                .connect().get(10, TimeUnit.SECONDS);
    }

    /** Connects to {@code 127.0.0.1:port}, sending {@code serverName} as SNI and authority. */
    public static Http3TestClient connect(File caCertificate, String serverName, int port) throws Exception {
        return new Http3TestClient(caCertificate, serverName, port, 16L << 20);
    }

    /**
     * Like {@link #connect(File, String, int)}, taking at most {@code streamWindow} bytes of a response before
     * it reads them: the window a client that does not read leaves closed.
     */
    public static Http3TestClient connect(File caCertificate, String serverName, int port, long streamWindow)
            throws Exception {
        return new Http3TestClient(caCertificate, serverName, port, streamWindow);
    }

    public Response get(String path) throws Exception {
        return send("GET", path, null);
    }

    /** Sends one request ({@code body} may be {@code null}) with Content-Length and waits for the whole response. */
    public Response send(String method, String path, byte[] body) throws Exception {
        return send(method, path, body, true, 0, Map.of());
    }

    /** A GET with extra header fields (lower-case names). */
    public Response get(String path, Map<String, String> fields) throws Exception {
        return send("GET", path, null, true, 0, fields);
    }

    /**
     * Sends one request: the head, then after {@code pauseMillis} the body (if any) and the end of the
     * stream; {@code declareLength} adds Content-Length (HTTP/3 does not need it: the stream's end ends the body).
     */
    public Response send(String method, String path, byte[] body, boolean declareLength, long pauseMillis)
            throws Exception {
        return send(method, path, body, declareLength, pauseMillis, Map.of());
    }

    private Response send(String method, String path, byte[] body, boolean declareLength, long pauseMillis,
                          Map<String, String> fields) throws Exception {
        CompletableFuture<Response> done = new CompletableFuture<>();
        QuicStreamChannel stream = Http3.newRequestStream(connection, new ResponseCollector(done)).get(10, TimeUnit.SECONDS);
        DefaultHttp3HeadersFrame head = new DefaultHttp3HeadersFrame();
        head.headers().method(method).path(path).authority(authority).scheme("https");
        fields.forEach((name, value) -> head.headers().add(name, value));
        if (body != null && declareLength) {
            head.headers().addInt("content-length", body.length);
        }
        if (body == null && pauseMillis == 0) {
            stream.writeAndFlush(head).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            return done.get(20, TimeUnit.SECONDS);
        }
        stream.writeAndFlush(head).sync();
        Thread.sleep(pauseMillis);
        if (body == null) {
            stream.shutdownOutput();
        } else {
            stream.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(body)))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        }
        return done.get(20, TimeUnit.SECONDS);
    }

    /**
     * Opens a request stream and sends only an unknown (reserved, to be ignored) frame on it, never a
     * request; the future completes with what the server did to the stream (a reset arrives as an
     * exception, or the stream ends).
     */
    public CompletableFuture<Object> openStreamWithoutRequest() throws Exception {
        return openStreamWithoutRequest(false);
    }

    /**
     * Like {@link #openStreamWithoutRequest()}; with {@code cancelWhenReset} the client answers a reset of the
     * response by resetting its own side, as a browser cancels a request whose response was reset.
     */
    public CompletableFuture<Object> openStreamWithoutRequest(boolean cancelWhenReset) throws Exception {
        CompletableFuture<Object> ended = new CompletableFuture<>();
        QuicStreamChannel stream = Http3.newRequestStream(connection, new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (cancelWhenReset) {
                    ((QuicStreamChannel) ctx.channel()).shutdownOutput(Http3ErrorCode.H3_REQUEST_CANCELLED.code());
                }
                ended.complete(cause);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                ended.complete(evt);
                ReferenceCountUtil.release(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                ended.complete("closed");
            }
        }).get(10, TimeUnit.SECONDS);
        stream.writeAndFlush(new DefaultHttp3UnknownFrame(0x1f * 2 + 0x21, Unpooled.wrappedBuffer(new byte[] {1}))).sync();
        return ended;
    }

    /**
     * Sends a request (a GET, or with {@code body} a request declaring {@code declaredLength} bytes of which
     * only {@code body} is sent, the stream left open) and does not read the response until {@link
     * UnreadResponse#readOn()}: the stream's window stays closed once the server has filled it.
     */
    public UnreadResponse sendWithoutReading(String method, String path, byte[] body, long declaredLength)
            throws Exception {
        UnreadResponse response = new UnreadResponse();
        QuicStreamChannel stream = Http3.newRequestStreamBootstrap(connection, response)
                .option(ChannelOption.AUTO_READ, false).create().get(10, TimeUnit.SECONDS);
        response.stream = stream;
        DefaultHttp3HeadersFrame head = new DefaultHttp3HeadersFrame();
        head.headers().method(method).path(path).authority(authority).scheme("https");
        if (body == null) {
            stream.writeAndFlush(head).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT).sync();
        } else {
            head.headers().addLong("content-length", declaredLength);
            stream.write(head);
            stream.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(body))).sync();
        }
        return response;
    }

    /**
     * Opens {@code count} request streams, each sending its request's HEADERS and then resetting its side at
     * once (the HTTP/2 "rapid reset" pattern, CVE-2023-44487); returns when all were sent.
     */
    public void sendAndReset(String path, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            QuicStreamChannel stream = Http3.newRequestStream(connection, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ReferenceCountUtil.release(msg);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    ctx.close();
                }
            }).get(10, TimeUnit.SECONDS);
            DefaultHttp3HeadersFrame head = new DefaultHttp3HeadersFrame();
            head.headers().method("GET").path(path).authority(authority).scheme("https");
            stream.write(head);
            stream.flush();
            stream.shutdownOutput(Http3ErrorCode.H3_REQUEST_CANCELLED.code()).sync();
        }
    }

    /**
     * Sends an ignorable frame (a reserved type, RFC 9114 §7.2.8) on the client's control stream: traffic that
     * keeps the QUIC connection from idling without asking for anything.
     */
    public void sendIgnorableFrame() {
        Http3.getLocalControlStream(connection)
                .writeAndFlush(new DefaultHttp3UnknownFrame(0x1f * 3 + 0x21, Unpooled.wrappedBuffer(new byte[] {1})))
                .awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * How many more bidirectional (request) streams the server lets this client open now: its
     * {@code max-concurrent-streams} less the streams it still counts as open (RFC 9000 §4.6, MAX_STREAMS).
     */
    public long requestStreamsLeft() throws Exception {
        return connection.eventLoop().submit(() -> connection.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL))
                .get(5, TimeUnit.SECONDS);
    }

    /** The leaf certificate the server presented in the handshake. */
    public X509Certificate peerCertificate() throws SSLPeerUnverifiedException {
        return (X509Certificate) connection.sslEngine().getSession().getPeerCertificates()[0];
    }

    /** True once the server closed the connection (after a GOAWAY, or on shutdown). */
    public boolean closedByServer(long timeout, TimeUnit unit) {
        return connection.closeFuture().awaitUninterruptibly(timeout, unit);
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        socket.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** How a response the client did not read at first ended once it read on. */
    public record Ending(int status, long bodyBytes, boolean complete) {
    }

    /** A response whose stream reads nothing until {@link #readOn()}. */
    public static final class UnreadResponse extends Http3RequestStreamInboundHandler {
        private final CompletableFuture<Ending> ended = new CompletableFuture<>();
        private QuicStreamChannel stream;
        private int status;
        /** Written on the stream's loop, read by the test's thread. */
        private volatile long bodyBytes;

        /** Reads what waits and all that follows; completes when the stream ends, normally or not. */
        public CompletableFuture<Ending> readOn() {
            stream.eventLoop().execute(() -> {
                stream.config().setAutoRead(true);
                stream.read();
            });
            return ended;
        }

        /**
         * Reads once what waits (no more than the stream's window): called now and then, it takes the response a
         * little at a time, and QUIC grants the server more only as much as was read.
         */
        public void readSome() {
            stream.eventLoop().execute(stream::read);
        }

        /** The body bytes read so far. */
        public long bodyBytes() {
            return bodyBytes;
        }

        /** Completes when the stream ends, normally or not, however the client reads. */
        public CompletableFuture<Ending> ending() {
            return ended;
        }

        /** True once the stream has closed, which a stream that reads nothing sees only of a closed connection. */
        public boolean closed() {
            return !stream.isActive();
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
            if (status == 0 && frame.headers().status() != null) {
                status = Integer.parseInt(frame.headers().status().toString());
            }
            ReferenceCountUtil.release(frame);
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
            bodyBytes += frame.content().readableBytes();
            frame.release();
        }

        @Override
        protected void channelInputClosed(ChannelHandlerContext ctx) {
            ended.complete(new Ending(status, bodyBytes, true));
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ended.complete(new Ending(status, bodyBytes, false));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ended.complete(new Ending(status, bodyBytes, false));
            ctx.fireChannelInactive();
        }
    }

    private static final class ResponseCollector extends Http3RequestStreamInboundHandler {
        private final CompletableFuture<Response> done;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final Map<String, String> headers = new LinkedHashMap<>();
        private int status;

        ResponseCollector(CompletableFuture<Response> done) {
            this.done = done;
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
            Http3Headers fields = frame.headers();
            if (status == 0 && fields.status() != null) {
                status = Integer.parseInt(fields.status().toString());
            }
            fields.forEach(field -> headers.put(field.getKey().toString(), field.getValue().toString()));
            ReferenceCountUtil.release(frame);
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
            byte[] bytes = new byte[frame.content().readableBytes()];
            frame.content().readBytes(bytes);
            body.writeBytes(bytes);
            frame.release();
        }

        @Override
        protected void channelInputClosed(ChannelHandlerContext ctx) {
            done.complete(new Response(status, headers, body.toByteArray()));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IllegalStateException("stream closed before the response ended"));
            ctx.fireChannelInactive();
        }
    }
}
