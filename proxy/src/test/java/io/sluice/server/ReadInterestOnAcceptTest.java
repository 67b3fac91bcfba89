package io.sluice.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.sluice.config.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An accepted epoll connection arrives with its read interest armed: with auto-read off it reads the
 * client's first bytes although no handler asked for them (and without this handler it would read nothing).
 * The handler turns auto-read off by itself, so the listener needs no per-connection child option for it.
 */
class ReadInterestOnAcceptTest {
    private Transports transports;
    private MultiThreadIoEventLoopGroup group;

    @BeforeEach
    void epoll() {
        transports = Transports.select(Transport.EPOLL);
        assumeTrue(transports.armsReadOnAccept(), "epoll is not available on this machine");
        group = transports.newGroup(1, "read-on-accept-test");
    }

    @AfterEach
    void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    @Test
    void firstBytesAreReadWithoutAReadCall() throws Exception {
        CompletableFuture<String> firstRead = new CompletableFuture<>();
        CompletableFuture<Boolean> autoRead = new CompletableFuture<>();
        EventLoop loop = group.next();
        Channel listener = new ServerBootstrap()
                .group(loop, loop)
                .channelFactory(() -> transports.newServerChannel("127.0.0.1"))
                .option(UnixChannelOption.SO_REUSEPORT, true)
                .handler(ReadInterestOnAccept.INSTANCE)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        autoRead.complete(ctx.channel().config().isAutoRead());
                        ctx.fireChannelActive();
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf bytes = (ByteBuf) msg;
                        firstRead.complete(bytes.toString(StandardCharsets.US_ASCII));
                        bytes.release();
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", ((InetSocketAddress) listener.localAddress()).getPort()));
            OutputStream out = client.getOutputStream();
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("hello", firstRead.get(10, TimeUnit.SECONDS));
            assertFalse(autoRead.get(10, TimeUnit.SECONDS), "auto-read is off without a child option");
        } finally {
            listener.close().sync();
        }
    }
}
