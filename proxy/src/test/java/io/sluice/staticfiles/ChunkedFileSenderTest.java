package io.sluice.staticfiles;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.routing.HandlerFactory;
import io.sluice.routing.RequestDispatcher;
import io.sluice.routing.Router;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path for connections that cannot take a FileRegion (TLS, HTTP/2 streams): a local (in-JVM)
 * channel is not a socket, so the real dispatcher and static handler send the file as buffers read piece
 * by piece, paced by the channel's writability.
 */
class ChunkedFileSenderTest {
    @TempDir
    Path site;

    @Test
    void sendsWholeFilesRangesAndMultipartAsBuffersWhenSendfileIsUnavailable() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        Path file = Downloads.writeRandom(root.resolve("big.bin"), 3 * 1024 * 1024 + 7, 11);
        Files.writeString(root.resolve("small.txt"), "small body");
        byte[] content = Files.readAllBytes(file);
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public" } }
                  ] } ]
                }""", site);
        String listenAddress = config.servers().get(0).listen().get(0).address().toString();
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (BlockingPool pool = new BlockingPool(config.blockingPool())) {
            Router router = Router.compile(config, new HandlerFactory(pool)::create);
            LocalAddress address = new LocalAddress("chunked-" + UUID.randomUUID());
            new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<LocalChannel>() {
                        @Override
                        protected void initChannel(LocalChannel channel) {
                            channel.pipeline().addLast(new ConnectionTimeouts(config.limits()),
                                    HttpCodecs.serverCodec(config.limits()), new FlowControlHandler(),
                                    new RequestDispatcher(() -> router, listenAddress, true));
                        }
                    }).bind(address).sync();
            Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf buf = (ByteBuf) msg;
                            byte[] bytes = new byte[buf.readableBytes()];
                            buf.readBytes(bytes);
                            buf.release();
                            synchronized (received) {
                                received.write(bytes, 0, bytes.length);
                            }
                        }
                    }).connect(address).sync().channel();

            Response whole = exchange(client, received, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, whole.status());
            assertArrayEquals(content, whole.body());

            Response small = exchange(client, received, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("small body", new String(small.body(), StandardCharsets.US_ASCII));

            Response range = exchange(client, received, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-1199999\r\n\r\n");
            assertEquals(206, range.status());
            assertArrayEquals(Arrays.copyOfRange(content, 100000, 1200000), range.body());

            Response multipart = exchange(client, received, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,-2\r\n\r\n");
            assertEquals(206, multipart.status());
            String body = new String(multipart.body(), StandardCharsets.ISO_8859_1);
            assertTrue(body.contains("Content-Range: bytes 0-1/" + content.length + "\r\n\r\n"
                    + new String(content, 0, 2, StandardCharsets.ISO_8859_1) + "\r\n--"), body);
            assertTrue(body.contains("Content-Range: bytes " + (content.length - 2) + "-" + (content.length - 1) + "/"
                    + content.length + "\r\n\r\n" + new String(content, content.length - 2, 2, StandardCharsets.ISO_8859_1)
                    + "\r\n--"), body);
            assertTrue(client.isActive(), "keep-alive after buffered file responses");
            client.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }

    private record Response(int status, String head, byte[] body) {
    }

    /** Sends one request and waits until one whole response (head plus Content-Length bytes) has arrived. */
    private static Response exchange(Channel client, ByteArrayOutputStream received, String request) throws Exception {
        synchronized (received) {
            received.reset();
        }
        client.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII)).sync();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] all;
            synchronized (received) {
                all = received.toByteArray();
            }
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            if (end > 0) {
                String head = text.substring(0, end + 4);
                int at = head.toLowerCase(Locale.ROOT).indexOf("content-length: ");
                int length = Integer.parseInt(head.substring(at + 16, head.indexOf('\r', at)));
                if (all.length >= end + 4 + length) {
                    assertEquals(end + 4 + length, all.length, "nothing after the response");
                    return new Response(Integer.parseInt(head.split(" ")[1]), head,
                            Arrays.copyOfRange(all, end + 4, end + 4 + length));
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no complete response to " + request);
    }
}
