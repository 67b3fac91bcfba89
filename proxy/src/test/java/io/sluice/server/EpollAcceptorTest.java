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

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An accepted epoll connection arrives with its read interest armed: with auto-read off it reads the
 * client's first bytes although no handler asked for them (and without the acceptor it would read nothing).
 * The acceptor turns auto-read off by itself, so the listener needs no per-connection child option for it.
 * It builds the pipeline itself, for the listener's loop, so a connection's pipeline holds only what the
 * builder added (the bootstrap's child handler never runs); a refused connection, or one whose pipeline
 * could not be built, is closed.
 */
class EpollAcceptorTest {
    /** Must never be reached: the acceptor takes every connection before the bootstrap's own acceptor. */
    private static final ChannelInboundHandlerAdapter BOOTSTRAP_CHILD = new SharableFailure();

    private Transports transports;
    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;

    @BeforeEach
    void epoll() {
        transports = Transports.select(Transport.EPOLL);
        assumeTrue(transports.armsReadOnAccept(), "epoll is not available on this machine");
        group = transports.newGroup(1, "epoll-acceptor-test");
        loop = group.next();
    }

    @AfterEach
    void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    @Test
    void firstBytesAreReadWithoutAReadCallByThePipelineTheBuilderMade() throws Exception {
        CompletableFuture<String> firstRead = new CompletableFuture<>();
        CompletableFuture<Boolean> autoRead = new CompletableFuture<>();
        CompletableFuture<List<String>> names = new CompletableFuture<>();
        CompletableFuture<EventLoop> builtFor = new CompletableFuture<>();
        CompletableFuture<EventLoop> registeredWith = new CompletableFuture<>();
        ConnectionBuilder builder = (channel, loop) -> {
            builtFor.complete(loop);
            channel.pipeline().addLast("first", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    autoRead.complete(ctx.channel().config().isAutoRead());
                    names.complete(ctx.pipeline().names());
                    registeredWith.complete(ctx.channel().eventLoop());
                    ctx.fireChannelActive();
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf bytes = (ByteBuf) msg;
                    firstRead.complete(bytes.toString(StandardCharsets.US_ASCII));
                    bytes.release();
                }
            });
            return true;
        };
        Channel listener = listen(builder);
        try (Socket client = connect(listener)) {
            OutputStream out = client.getOutputStream();
            out.write("hello".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("hello", firstRead.get(10, TimeUnit.SECONDS));
            assertFalse(autoRead.get(10, TimeUnit.SECONDS), "auto-read is off without a child option");
            List<String> pipeline = names.get(10, TimeUnit.SECONDS);
            assertEquals("first", pipeline.get(0));
            assertEquals(2, pipeline.size(), "the builder's handler and the tail, no initializer: " + pipeline);
            assertSame(listener.eventLoop(), builtFor.get(10, TimeUnit.SECONDS));
            assertSame(listener.eventLoop(), registeredWith.get(10, TimeUnit.SECONDS));
        } finally {
            listener.close().sync();
        }
    }

    @Test
    void refusedConnectionIsClosedAndItsCloseIsSeen() throws Exception {
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        Channel listener = listen((channel, loop) -> {
            channel.closeFuture().addListener(f -> closed.complete(true));
            return false;
        });
        try (Socket client = connect(listener)) {
            assertTrue(closed.get(10, TimeUnit.SECONDS));
            assertEquals(-1, readWithTimeout(client), "the client sees the connection end");
        } finally {
            listener.close().sync();
        }
    }

    @Test
    void connectionWhosePipelineCouldNotBeBuiltIsClosedAndTheListenerKeepsAccepting() throws Exception {
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        boolean[] fail = {true};
        Channel listener = listen((channel, loop) -> {
            channel.closeFuture().addListener(f -> closed.complete(true));
            if (fail[0]) {
                fail[0] = false;
                throw new IllegalStateException("no pipeline for you");
            }
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    ctx.writeAndFlush(ctx.alloc().buffer().writeBytes("hi".getBytes(StandardCharsets.US_ASCII)));
                }
            });
            return true;
        });
        try (Socket broken = connect(listener)) {
            assertTrue(closed.get(10, TimeUnit.SECONDS));
            assertEquals(-1, readWithTimeout(broken));
            try (Socket next = connect(listener)) {
                assertEquals('h', readWithTimeout(next));
            }
        } finally {
            listener.close().sync();
        }
    }

    private Channel listen(ConnectionBuilder builder) throws InterruptedException {
        return new ServerBootstrap()
                .group(loop, loop)
                .channelFactory(() -> transports.newServerChannel("127.0.0.1"))
                .option(UnixChannelOption.SO_REUSEPORT, true)
                .handler(new EpollAcceptor(builder))
                .childHandler(BOOTSTRAP_CHILD)
                .bind("127.0.0.1", 0).sync().channel();
    }

    private static Socket connect(Channel listener) throws Exception {
        Socket client = new Socket();
        client.connect(new InetSocketAddress("127.0.0.1", ((InetSocketAddress) listener.localAddress()).getPort()));
        return client;
    }

    private static int readWithTimeout(Socket client) throws Exception {
        client.setSoTimeout(10_000);
        InputStream in = client.getInputStream();
        return in.read();
    }

    @io.netty.channel.ChannelHandler.Sharable
    private static final class SharableFailure extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            throw new AssertionError("the bootstrap's child handler was reached");
        }
    }
}
