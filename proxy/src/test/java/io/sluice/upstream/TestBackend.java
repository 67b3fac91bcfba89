package io.sluice.upstream;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 backend on Netty for the proxy tests. It records the request heads it receives and
 * counts connections; the path picks the behaviour:
 * {@code /upload} answers the sha256 of the body it streamed; {@code /download/N} and
 * {@code /download-cl/N} stream N bytes of {@link TestBytes} (chunked, or with Content-Length) writing only
 * while the connection is writable and counting what it wrote; {@code /slow} sends a first piece and the
 * rest once {@link #releaseSlow} is counted down; {@code /hang} never answers; {@code /reset-mid-body}
 * promises more than it sends and resets; {@code /ambiguous} frames its answer with both Content-Length
 * and Transfer-Encoding; {@code /close} closes without answering; {@code /status/N} answers N without a
 * body; {@code /trailers} sends a chunked body with a trailer; anything else answers {@code hello} with a
 * few hop-by-hop headers that must not reach the client.
 */
public final class TestBackend implements AutoCloseable {
    public final BlockingQueue<HttpRequest> requests = new LinkedBlockingQueue<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicLong downloadBytesWritten = new AtomicLong();
    public final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    /** Accepted connections, closed by {@link #close} so that a stopped backend really hangs up on Sluice. */
    private final ChannelGroup accepted = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    public TestBackend() throws InterruptedException {
        this(0);
    }

    /** A backend on a given port, e.g. to restart one that a test stopped. */
    static TestBackend onPort(int port) throws InterruptedException {
        return new TestBackend(port);
    }

    private TestBackend(int port) throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.incrementAndGet();
                        accepted.add(channel);
                        channel.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                })
                .option(ChannelOption.SO_REUSEADDR, true)
                .bind("127.0.0.1", port).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() {
        releaseSlow.countDown();
        server.close().awaitUninterruptibly();
        accepted.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private HttpRequest request;
        private MessageDigest upload;
        private long uploadBytes;
        private long downloadSize;
        private long downloadOffset;
        private boolean downloading;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest head) {
                    request = head;
                    requests.add(head);
                    upload = sha256();
                    uploadBytes = 0;
                }
                if (msg instanceof HttpContent content) {
                    uploadBytes += content.content().readableBytes();
                    upload.update(content.content().nioBuffer());
                    if (msg instanceof LastHttpContent) {
                        respond(ctx);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx) {
            String path = request.uri();
            if (path.equals("/upload")) {
                String text = HexFormat.of().formatHex(upload.digest()) + " " + uploadBytes;
                ctx.writeAndFlush(full(HttpResponseStatus.OK, text));
            } else if (path.startsWith("/download/") || path.startsWith("/download-cl/")) {
                long size = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                if (path.startsWith("/download-cl/")) {
                    HttpUtil.setContentLength(head, size);
                } else {
                    HttpUtil.setTransferEncodingChunked(head, true);
                }
                ctx.write(head);
                downloadSize = size;
                downloadOffset = 0;
                downloading = true;
                writeDownload(ctx);
            } else if (path.equals("/slow")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(head, true);
                ctx.write(head);
                ctx.writeAndFlush(new DefaultHttpContent(ascii("first\n")));
                Thread waiter = new Thread(() -> {
                    try {
                        releaseSlow.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ctx.writeAndFlush(new DefaultLastHttpContent(ascii("last\n")));
                });
                waiter.setDaemon(true);
                waiter.start();
            } else if (path.equals("/hang")) {
                return;
            } else if (path.equals("/reset-mid-body")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setContentLength(head, 100_000);
                ctx.write(head);
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1000]))).addListener(f -> {
                    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                    ctx.close();
                });
            } else if (path.equals("/ambiguous")) {
                ctx.pipeline().firstContext().writeAndFlush(ascii(
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
            } else if (path.equals("/close")) {
                ctx.close();
            } else if (path.startsWith("/status/")) {
                int code = Integer.parseInt(path.substring("/status/".length()));
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(code)));
            } else if (path.equals("/trailers")) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(head, true);
                head.headers().set(HttpHeaderNames.TRAILER, "x-checksum");
                ctx.write(head);
                ctx.write(new DefaultHttpContent(ascii("body")));
                LastHttpContent last = new DefaultLastHttpContent();
                last.trailingHeaders().set("x-checksum", "abc123");
                ctx.writeAndFlush(last);
            } else {
                FullHttpResponse response = full(HttpResponseStatus.OK, "hello");
                HttpHeaders headers = response.headers();
                headers.set(HttpHeaderNames.CONNECTION, "keep-alive, x-hop-secret");
                headers.set("x-hop-secret", "must not pass");
                headers.set(HttpHeaderNames.KEEP_ALIVE, "timeout=5");
                headers.set("proxy-connection", "keep-alive");
                headers.set("x-backend", "yes");
                headers.set(HttpHeaderNames.SERVER, "backend");
                ctx.writeAndFlush(response);
            }
        }

        private void writeDownload(ChannelHandlerContext ctx) {
            while (downloadOffset < downloadSize && ctx.channel().isWritable()) {
                int n = (int) Math.min(64 * 1024, downloadSize - downloadOffset);
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(TestBytes.slice(downloadOffset, n))));
                downloadOffset += n;
                downloadBytesWritten.addAndGet(n);
            }
            if (downloadOffset == downloadSize && downloading) {
                downloading = false;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && downloading) {
                writeDownload(ctx);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    static FullHttpResponse full(HttpResponseStatus status, String text) {
        ByteBuf body = ascii(text);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body,
                new DefaultHttpHeaders(), new DefaultHttpHeaders());
        HttpUtil.setContentLength(response, body.readableBytes());
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        return response;
    }

    static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
