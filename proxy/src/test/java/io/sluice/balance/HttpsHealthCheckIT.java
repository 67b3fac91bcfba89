package io.sluice.balance;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Active health checks of {@code https://} servers speak TLS, with SNI and certificate verification, as
 * proxied requests do: a TLS-only backend whose certificate is for {@code backend.test} answers its
 * {@code /healthz} with a status the test sets, and records the server name of every handshake. (The
 * server is addressed by IP with {@code sni} set: a single-label name such as localhost is never sent
 * as SNI.)
 */
class HttpsHealthCheckIT {
    private final AtomicInteger healthStatus = new AtomicInteger(200);
    private final AtomicInteger healthChecks = new AtomicInteger();
    private final Queue<String> serverNames = new ConcurrentLinkedQueue<>();
    private static SelfSignedCertificate certificate;
    private MultiThreadIoEventLoopGroup group;
    private Channel backend;

    @BeforeAll
    static void createCertificate() throws Exception {
        certificate = new SelfSignedCertificate("backend.test");
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.delete();
    }

    @BeforeEach
    void startTlsBackend() throws Exception {
        SslContext tls = SslContextBuilder.forServer(certificate.certificate(), certificate.privateKey()).build();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        backend = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new SniHandler(name -> {
                            serverNames.add(String.valueOf(name));
                            return tls;
                        }), new HttpServerCodec(), new HttpObjectAggregator(1024), new HealthAnswer());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    @AfterEach
    void stopTlsBackend() throws InterruptedException {
        backend.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private final class HealthAnswer extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            HttpResponseStatus status = HttpResponseStatus.OK;
            if (request.uri().equals("/healthz")) {
                healthChecks.incrementAndGet();
                status = HttpResponseStatus.valueOf(healthStatus.get());
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer("tls backend", StandardCharsets.UTF_8));
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a client that rejects the certificate aborts the handshake: expected in one test
            ctx.close();
        }
    }

    private String config(String serverName) {
        int port = ((InetSocketAddress) backend.localAddress()).getPort();
        return """
                sluice {
                  workers = 1
                  upstreams { app {
                    servers = [ { address = "https://127.0.0.1:%d" } ]
                    tls { ca-file = "%s", sni = "%s" }
                    health-check { path = "/healthz", interval = 200ms, timeout = 3s, rise = 1, fall = 1 }
                  } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(port, certificate.certificate().getAbsolutePath(), serverName);
    }

    @Test
    void checksOfAnHttpsServerSpeakTlsWithSniAndFollowItsStatus() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("backend.test"))) {
            Eventually.await("checks over TLS", Duration.ofSeconds(10), () -> healthChecks.get() >= 2);
            assertEquals("up", Eventually.firstServerState(sluice));
            assertTrue(serverNames.stream().allMatch("backend.test"::equals), "SNI of every handshake: " + serverNames);

            healthStatus.set(503);
            Eventually.await("the server to be marked down", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("down"));
            healthStatus.set(200);
            Eventually.await("the server to be up again", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("up"));
        }
    }

    @Test
    void aCertificateThatDoesNotVerifyFailsTheCheck() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(config("other.example"))) {
            Eventually.await("the server to be marked down", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("down"));
            assertEquals(0, healthChecks.get(), "no check request is sent over a connection that did not verify");
            assertTrue(serverNames.contains("other.example"), "the check sends the configured SNI: " + serverNames);
        }
    }
}
