package io.sluice.upstream;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

class ProxyProtocolAndTlsIT {

    @Test
    void proxyProtocolAddressIsTheClientAndTrustedForwardedForIsKept() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start("""
                     sluice {
                       workers = 1
                       upstreams { app { servers = [ { address = "%s" } ] } }
                       servers = [ { listen = [ { address = "127.0.0.1:0", proxy-protocol = true } ], locations = [
                         { match = "/", proxy { upstream = app, trusted-proxies = [ "203.0.113.0/24" ] } }
                       ] } ]
                     }""".formatted(backend.address()));
             RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\nGET /hello HTTP/1.1\r\nHost: a\r\n"
                    + "X-Forwarded-For: 198.51.100.1\r\n\r\n");
            assertEquals(200, raw.readResponse().status());
            HttpRequest received = backend.requests.poll(5, TimeUnit.SECONDS);
            assertNotNull(received);
            assertEquals("198.51.100.1, 203.0.113.7", received.headers().get("x-forwarded-for"));
            assertEquals("203.0.113.7", received.headers().get("x-real-ip"));

            raw.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, raw.readResponse().status());
            assertEquals("203.0.113.7", backend.requests.poll(5, TimeUnit.SECONDS).headers().get("x-forwarded-for"),
                    "the address holds for the connection's life");
            try (RawHttp withoutHeader = new RawHttp(sluice.port())) {
                withoutHeader.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("", withoutHeader.readUntilClosed(), "a proxy-protocol listener needs the header first");
            }
        }
    }

    @Test
    void upstreamTlsVerifiesTheCertificateAndHostName() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost");
        SslContext serverTls = SslContextBuilder.forServer(certificate.certificate(), certificate.privateKey()).build();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(serverTls.newHandler(channel.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(1024), new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        ctx.writeAndFlush(TestBackend.full(HttpResponseStatus.OK, "secret"));
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try {
            String trusted = ProxyConfigs.proxyTo("servers = [ { address = \"https://localhost:" + port + "\" } ], "
                    + "tls { ca-file = \"" + certificate.certificate().getAbsolutePath() + "\" }", "");
            try (RunningSluice sluice = RunningSluice.start(trusted); RawHttp raw = new RawHttp(sluice.port())) {
                RawHttp.Response response = raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals(200, response.status());
                assertEquals("secret", response.bodyText());
            }
            String untrusted = ProxyConfigs.proxyTo("servers = [ { address = \"https://localhost:" + port + "\" } ]", "");
            try (RunningSluice sluice = RunningSluice.start(untrusted); RawHttp raw = new RawHttp(sluice.port())) {
                assertEquals(502, raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status(),
                        "a certificate the JVM does not trust fails the handshake");
            }
            String wrongName = ProxyConfigs.proxyTo("servers = [ { address = \"https://127.0.0.1:" + port + "\" } ], "
                    + "tls { ca-file = \"" + certificate.certificate().getAbsolutePath() + "\", sni = \"other.example\" }", "");
            try (RunningSluice sluice = RunningSluice.start(wrongName); RawHttp raw = new RawHttp(sluice.port())) {
                assertEquals(502, raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status(),
                        "the certificate is for localhost, not other.example");
            }
        } finally {
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            certificate.delete();
        }
    }
}
