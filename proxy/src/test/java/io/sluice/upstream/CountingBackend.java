package io.sluice.upstream;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A backend for the cache tests that counts the requests it answers per target and answers each target
 * as the test last told it: status, fields, body, and a delay before answering. A request whose
 * {@code If-None-Match} equals the answer's {@code ETag} gets a 304 with the answer's fields. The body
 * may depend on the request (e.g. echo a header), to tell {@code Vary} variants apart. An answer with
 * the field {@code Transfer-Encoding: chunked} is sent in chunks; one with the marker field
 * {@link #CLOSE_DELIMITED} without a length, ended by closing the connection.
 */
final class CountingBackend implements AutoCloseable {

    /** One prepared answer; {@code fields} are name/value pairs. */
    record Answer(int status, Function<HttpHeaders, String> body, List<String> fields, long delayMillis) {
        static Answer of(int status, String body, String... fields) {
            return new Answer(status, request -> body, List.of(fields), 0);
        }

        Answer delayed(long millis) {
            return new Answer(status, body, fields, millis);
        }
    }

    /** Answer fields that make the body go out in pieces: chunked, or ended by closing the connection. */
    static final String CHUNKED = "chunked";
    static final String CLOSE_DELIMITED = "x-close-delimited";

    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    final List<HttpHeaders> received = new CopyOnWriteArrayList<>();
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    CountingBackend() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    void answer(String target, Answer answer) {
        answers.put(target, answer);
    }

    int count(String target) {
        AtomicInteger count = counts.get(target);
        return count == null ? 0 : count.get();
    }

    String address() {
        return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String target = request.uri();
            counts.computeIfAbsent(target, key -> new AtomicInteger()).incrementAndGet();
            received.add(request.headers().copy());
            Answer answer = answers.getOrDefault(target, Answer.of(404, "no answer for " + target));
            if (answer.fields().contains(CHUNKED) || answer.fields().contains(CLOSE_DELIMITED)) {
                stream(ctx, request.headers(), answer);
                return;
            }
            FullHttpResponse response = respond(request.headers(), answer);
            if (answer.delayMillis() > 0) {
                ctx.executor().schedule(() -> ctx.writeAndFlush(response), answer.delayMillis(), TimeUnit.MILLISECONDS);
            } else {
                ctx.writeAndFlush(response);
            }
        }

        /** The body in two pieces, chunked or delimited by closing the connection. */
        private void stream(ChannelHandlerContext ctx, HttpHeaders request, Answer answer) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()));
            for (int i = 0; i + 1 < answer.fields().size(); i += 2) {
                if (!answer.fields().get(i).equals(CLOSE_DELIMITED)) {
                    head.headers().add(answer.fields().get(i), answer.fields().get(i + 1));
                }
            }
            byte[] body = answer.body().apply(request).getBytes(StandardCharsets.UTF_8);
            int half = body.length / 2;
            ctx.write(head);
            ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(body, 0, half)));
            ChannelFuture last = ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(body, half, body.length - half)));
            if (!HttpUtil.isTransferEncodingChunked(head)) {
                last.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private FullHttpResponse respond(HttpHeaders request, Answer answer) {
            HttpHeaders fields = DefaultHttpHeadersFactory.headersFactory().newHeaders();
            for (int i = 0; i + 1 < answer.fields().size(); i += 2) {
                fields.add(answer.fields().get(i), answer.fields().get(i + 1));
            }
            String etag = fields.get(HttpHeaderNames.ETAG);
            if (etag != null && etag.equals(request.get(HttpHeaderNames.IF_NONE_MATCH))) {
                return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                        Unpooled.EMPTY_BUFFER, fields, EmptyHttpHeaders.INSTANCE);
            }
            byte[] body = answer.body().apply(request).getBytes(StandardCharsets.UTF_8);
            fields.set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()),
                    Unpooled.wrappedBuffer(body), fields, EmptyHttpHeaders.INSTANCE);
        }
    }
}
