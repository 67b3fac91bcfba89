package io.sluice.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A WebSocket and a long download that span many reloads stay open and complete on their old snapshot. */
class ReloadSpanningExchangesIT {
    private static final int FILE_SIZE = 48 << 20;

    @TempDir
    Path directory;

    @Test
    void webSocketAndLongDownloadSurviveReloads() throws Exception {
        byte[] content = new byte[FILE_SIZE];
        new Random(11).nextBytes(content);
        Path root = Files.createDirectories(directory.resolve("www"));
        Files.write(root.resolve("big.bin"), content);
        String expectedHash = sha256(content);

        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Channel echo = echoServer(group);
        String backend = "127.0.0.1:" + ((InetSocketAddress) echo.localAddress()).getPort();
        try (OperatedSluice sluice = OperatedSluice.start(config("first", root, backend))) {
            LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + sluice.port() + "/ws"), collector(echoes))
                    .get(5, TimeUnit.SECONDS);
            CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> slowDownload(sluice.port()));

            for (int i = 0; i < 10; i++) {
                String name = i % 2 == 0 ? "second" : "first";
                sluice.rewrite(config(name, root, backend));
                assertEquals(200, sluice.post(sluice.adminUri("/reload")).statusCode());
                assertEquals(name, sluice.get(sluice.uri("/which")).body(), "reload " + i + " switches the route");
                socket.sendText("message " + i, true).get(5, TimeUnit.SECONDS);
                assertEquals("message " + i, echoes.poll(5, TimeUnit.SECONDS), "the WebSocket still echoes");
            }
            assertFalse(download.isDone(), "the download should still be running while the reloads happen");
            assertEquals(expectedHash, download.get(60, TimeUnit.SECONDS), "the long download completes byte-exact");
            socket.sendText("after", true).get(5, TimeUnit.SECONDS);
            assertEquals("after", echoes.poll(5, TimeUnit.SECONDS));
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        } finally {
            echo.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static String config(String name, Path root, String backend) {
        return """
                sluice {
                  access-log { format = off }
                  upstreams { echo { servers = [ { address = "%s" } ], read-timeout = 60s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "= /which", return { body = "%s" } }
                    { match = "/files/", static { root = "%s" } }
                    { match = "/ws", proxy { upstream = echo } }
                  ] } ]
                }""".formatted(backend, name, root);
    }

    /** Reads the file at about 12 MB/s, so that it is still arriving while the configuration changes. */
    private static String slowDownload(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.getOutputStream().write("GET /files/big.bin HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.read());
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[256 * 1024];
            long remaining = FILE_SIZE;
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new AssertionError("download ended early with " + remaining + " bytes missing");
                }
                digest.update(buffer, 0, n);
                remaining -= n;
                Thread.sleep(n / 12_000);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static WebSocket.Listener collector(LinkedBlockingQueue<String> echoes) {
        return new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    echoes.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        };
    }

    private static Channel echoServer(MultiThreadIoEventLoopGroup group) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler("/ws"),
                                new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
                                        ctx.writeAndFlush(new TextWebSocketFrame(frame.text()));
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
