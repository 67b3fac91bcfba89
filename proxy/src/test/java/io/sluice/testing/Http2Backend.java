package io.sluice.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/2 backend on Netty's frame codec, answering the way gRPC services do: a response HEADERS,
 * DATA, and trailers carrying {@code grpc-status}. Cleartext with prior knowledge, or TLS with ALPN
 * {@code h2}. It records request heads, counts connections and streams open at once; the path picks the
 * behaviour:
 * <ul>
 * <li>{@code /unary}: after the whole request, {@code <sha256 of the request body> <length>} and trailers
 * {@code grpc-status: 0}, {@code grpc-message: OK};</li>
 * <li>{@code /echo}: the response HEADERS at once, each request DATA frame echoed as it arrives, trailers
 * when the request ends (a bidirectional stream);</li>
 * <li>{@code /stream/N}: N bytes of {@link #bytes} while the stream is writable, then trailers with
 * {@code grpc-status: 0} and the body's {@code x-body-sha256};</li>
 * <li>{@code /trailers-only}: a single HEADERS frame that ends the stream ({@code grpc-status: 5});</li>
 * <li>{@code /held}: answered only once {@link #holdUntil} streams are held open at once;</li>
 * <li>{@code /goaway}: answered, then the connection gets a GOAWAY;</li>
 * <li>{@code /healthz}: a head-only answer with the status {@link #healthStatus} holds;</li>
 * <li>{@code /grpc.health.v1.Health/Check}: the gRPC health answer {@link #grpcServing} says;</li>
 * <li>{@code /die}: the whole connection is closed without an answer.</li>
 * </ul>
 */
public final class Http2Backend implements AutoCloseable {
    public final BlockingQueue<Http2Headers> requests = new LinkedBlockingQueue<>();
    public final AtomicInteger connections = new AtomicInteger();
    /** The status {@code /healthz} answers with. */
    public final AtomicInteger healthStatus = new AtomicInteger(200);
    public final AtomicInteger healthChecks = new AtomicInteger();
    /**
     * What {@code grpc.health.v1.Health/Check} answers: a HealthCheckResponse with this status (1 SERVING,
     * 2 NOT_SERVING), or with -1 a trailers-only UNIMPLEMENTED, as a server without the health service does.
     */
    public final AtomicInteger grpcServing = new AtomicInteger(1);
    /** The request messages of gRPC health checks, as received (flag, length, protobuf). */
    public final BlockingQueue<byte[]> grpcHealthRequests = new LinkedBlockingQueue<>();
    public final AtomicInteger maxOpenStreams = new AtomicInteger();
    /** Body bytes written by {@code /stream/N} responses so far. */
    public final AtomicLong streamedBytes = new AtomicLong();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<StreamHandler> held = new ArrayList<>();
    private final Channel server;
    private volatile int holdUntil = Integer.MAX_VALUE;

    private Http2Backend(SslContext ssl, int maxConcurrentStreams) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.incrementAndGet();
                        if (ssl != null) {
                            channel.pipeline().addLast(ssl.newHandler(channel.alloc()));
                        }
                        channel.pipeline().addLast(Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxConcurrentStreams))
                                .build());
                        channel.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                stream.pipeline().addLast(new StreamHandler());
                            }
                        }));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** Cleartext HTTP/2 (prior knowledge), allowing {@code maxConcurrentStreams} per connection. */
    public static Http2Backend cleartext(int maxConcurrentStreams) throws InterruptedException {
        return new Http2Backend(null, maxConcurrentStreams);
    }

    /** HTTP/2 over TLS with the given PEM chain and key, ALPN offering only {@code h2}. */
    public static Http2Backend tls(Path chain, Path key, int maxConcurrentStreams) throws Exception {
        SslContext ssl = SslContextBuilder.forServer(chain.toFile(), key.toFile())
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
        return new Http2Backend(ssl, maxConcurrentStreams);
    }

    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** {@code /held} streams are answered once this many are open at once. */
    public void holdUntil(int streams) {
        holdUntil = streams;
    }

    /** The deterministic body of {@code /stream/N}: byte {@code i} of it. */
    public static byte bytes(long i) {
        long x = i * 0x9E3779B97F4A7C15L;
        return (byte) (x ^ (x >>> 31));
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final MessageDigest upload = digest();
        private final ByteArrayOutputStream healthRequest = new ByteArrayOutputStream();
        private long uploadBytes;
        private String path;
        private ChannelHandlerContext ctx;
        private long streamSize;
        private long streamed;
        private MessageDigest streamDigest;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            maxOpenStreams.accumulateAndGet(openStreams.incrementAndGet(), Math::max);
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            openStreams.decrementAndGet();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame headers) {
                    if (path == null) {
                        path = headers.headers().path().toString();
                        requests.add(headers.headers());
                        if (path.endsWith("/echo")) {
                            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(responseHeaders(), false));
                        } else if (path.endsWith("/die")) {
                            ctx.channel().parent().close();
                            return;
                        }
                    }
                    if (headers.isEndStream()) {
                        requestEnded();
                    }
                } else if (msg instanceof Http2DataFrame data) {
                    if (path.equals("/grpc.health.v1.Health/Check")) {
                        healthRequest.writeBytes(ByteBufUtil.getBytes(data.content()));
                    }
                    uploadBytes += data.content().readableBytes();
                    upload.update(data.content().nioBuffer());
                    if (path.endsWith("/echo") && data.content().isReadable()) {
                        ctx.writeAndFlush(new DefaultHttp2DataFrame(data.content().retainedDuplicate(), false));
                    }
                    if (data.isEndStream()) {
                        requestEnded();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void requestEnded() {
            if (path.endsWith("/unary")) {
                ctx.write(new DefaultHttp2HeadersFrame(responseHeaders(), false));
                String text = HexFormat.of().formatHex(upload.digest()) + " " + uploadBytes;
                ctx.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII), false));
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers(0).add("grpc-message", "OK"), true));
            } else if (path.endsWith("/echo")) {
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers(0), true));
            } else if (path.contains("/stream/")) {
                streamSize = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
                streamDigest = digest();
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(responseHeaders(), false));
                streamMore();
            } else if (path.endsWith("/trailers-only")) {
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(responseHeaders().add("grpc-status", "5")
                        .add("grpc-message", "no such thing"), true));
            } else if (path.endsWith("/held")) {
                hold();
            } else if (path.equals("/grpc.health.v1.Health/Check")) {
                healthChecks.incrementAndGet();
                grpcHealthRequests.add(healthRequest.toByteArray());
                int serving = grpcServing.get();
                if (serving < 0) {
                    ctx.writeAndFlush(new DefaultHttp2HeadersFrame(responseHeaders().add("grpc-status", "12")
                            .add("grpc-message", "unknown service grpc.health.v1.Health"), true));
                    return;
                }
                ctx.write(new DefaultHttp2HeadersFrame(responseHeaders(), false));
                ctx.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 2, 8, (byte) serving}), false));
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers(0), true));
            } else if (path.endsWith("/healthz")) {
                healthChecks.incrementAndGet();
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
                        .status(Integer.toString(healthStatus.get())), true));
            } else if (path.endsWith("/goaway")) {
                answer("bye");
                ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
            } else {
                answer("hello");
            }
        }

        private void answer(String text) {
            ctx.write(new DefaultHttp2HeadersFrame(responseHeaders(), false));
            ctx.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII), false));
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers(0), true));
        }

        /** All streams of the backend run on its one event loop thread. */
        private void hold() {
            held.removeIf(stream -> !stream.ctx.channel().isActive());
            held.add(this);
            if (held.size() >= holdUntil) {
                List<StreamHandler> release = new ArrayList<>(held);
                held.clear();
                for (int i = 0; i < release.size(); i++) {
                    release.get(i).answer("held " + i);
                }
            }
        }

        private void streamMore() {
            while (streamed < streamSize && ctx.channel().isWritable()) {
                int size = (int) Math.min(16 * 1024, streamSize - streamed);
                byte[] piece = new byte[size];
                for (int i = 0; i < size; i++) {
                    piece[i] = bytes(streamed + i);
                }
                streamDigest.update(piece);
                streamed += size;
                streamedBytes.addAndGet(size);
                ByteBuf buffer = Unpooled.wrappedBuffer(piece);
                ctx.writeAndFlush(new DefaultHttp2DataFrame(buffer, false));
            }
            if (streamed == streamSize && streamDigest != null) {
                Http2Headers trailers = trailers(0).add("x-body-sha256", HexFormat.of().formatHex(streamDigest.digest()));
                streamDigest = null;
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (streamDigest != null && ctx.channel().isWritable()) {
                streamMore();
            }
            ctx.fireChannelWritabilityChanged();
        }

        private Http2Headers responseHeaders() {
            return new DefaultHttp2Headers().status("200").add("content-type", "application/grpc");
        }

        private Http2Headers trailers(int status) {
            return new DefaultHttp2Headers().add("grpc-status", String.valueOf(status));
        }
    }
}
