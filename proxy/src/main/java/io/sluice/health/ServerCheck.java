package io.sluice.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The probes of one server, all on one event loop: connect (and for an {@code https://} server, the TLS
 * handshake: the request waits in the TLS handler until it is done), send the check request, read the
 * status of the response head, close. A server of a group that speaks HTTP/2 gets the request as one
 * HEADERS frame on a new connection (h2 by ALPN, or h2c with prior knowledge): an HTTP/2-only server,
 * such as a gRPC service, would fail an HTTP/1.1 probe. With {@code grpc-service} the request is the gRPC
 * health protocol's Check call instead, judged by its answer and trailers ({@link GrpcHealth}). A probe that gets no head within {@code timeout} (connect and
 * handshake included) fails; so does one whose handshake fails, e.g. a certificate that does not verify.
 */
final class ServerCheck {
    /** A check reads only the status of the response head. */
    private static final long PROBE_HEADER_LIST_SIZE = 16 * 1024;

    private final UpstreamConfig.Server server;
    private final String name;
    private final String hostHeader;
    private final InetSocketAddress address;
    private final Bootstrap bootstrap;
    private final EventLoop loop;
    private final BalancingConfig.HealthCheck config;
    private final HealthChecker.Listener listener;
    private final Logger log;
    private final SslContext ssl;
    private final String sni;
    private final boolean http2;

    private boolean healthy = true;
    private boolean judged;
    private int passes;
    private int failures;
    private boolean stopped;
    private ScheduledFuture<?> next;
    private Channel probe;

    /**
     * {@code ssl} is null for a plain HTTP server; {@code sni} is the TLS server name, also verified;
     * {@code http2} when the group speaks HTTP/2 to its servers.
     */
    ServerCheck(UpstreamConfig.Server server, String name, InetSocketAddress address, Bootstrap bootstrap,
                EventLoop loop, BalancingConfig.HealthCheck config, HealthChecker.Listener listener, Logger log,
                SslContext ssl, String sni, boolean http2) {
        this.server = server;
        this.http2 = http2;
        this.ssl = ssl;
        this.sni = sni;
        this.name = name;
        String host = server.address().host();
        this.hostHeader = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.address().port();
        this.address = address;
        this.loop = loop;
        this.config = config;
        this.listener = listener;
        this.log = log;
        this.bootstrap = bootstrap
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis()));
    }

    void start() {
        loop.execute(() -> schedule(ThreadLocalRandom.current().nextLong(Math.max(1, config.interval().toNanos()))));
    }

    void stop() {
        loop.execute(() -> {
            stopped = true;
            if (next != null) {
                next.cancel(false);
            }
            if (probe != null) {
                probe.close();
            }
        });
    }

    /** The next probe after one interval plus up to {@code jitter} of it, so probes of many servers spread out. */
    private void scheduleNext() {
        long interval = config.interval().toNanos();
        long jitter = (long) (interval * config.jitter());
        schedule(interval + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0));
    }

    private void schedule(long delayNanos) {
        if (!stopped) {
            next = loop.schedule(this::probe, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void probe() {
        next = null;
        if (stopped) {
            return;
        }
        Outcome outcome = new Outcome();
        outcome.timeout = loop.schedule(() -> outcome.finish(false, "no answer within "
                + config.timeout().toMillis() + "ms"), config.timeout().toNanos(), TimeUnit.NANOSECONDS);
        ChannelFuture connect = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                if (ssl != null) {
                    channel.pipeline().addLast(ssl.newHandler(channel.alloc(), sni, address.getPort()));
                }
                if (http2) {
                    channel.pipeline().addLast(http2Codec(), new StreamOpener(), new ProbeHandler(outcome));
                } else {
                    channel.pipeline().addLast(new HttpClientCodec(), new ProbeHandler(outcome));
                }
            }
        }).connect(address);
        probe = connect.channel();
        outcome.channel = probe;
        connect.addListener(future -> {
            if (!future.isSuccess()) {
                outcome.finish(false, "connect failed: " + future.cause().getMessage());
                return;
            }
            Channel channel = connect.channel();
            if (!http2) {
                channel.writeAndFlush(http1Request());
            } else if (config.grpcService() == null) {
                channel.writeAndFlush(new DefaultHttp2HeadersFrame(http2Head("GET", config.path()), true)
                        .stream(channel.pipeline().get(StreamOpener.class).open()));
            } else {
                Http2FrameStream stream = channel.pipeline().get(StreamOpener.class).open();
                Http2Headers head = http2Head("POST", GrpcHealth.PATH).set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                        .set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
                channel.write(new DefaultHttp2HeadersFrame(head, false).stream(stream));
                channel.writeAndFlush(new DefaultHttp2DataFrame(
                        Unpooled.wrappedBuffer(GrpcHealth.request(config.grpcService())), true).stream(stream));
            }
        });
    }

    private FullHttpRequest http1Request() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, config.path());
        request.headers().set(HttpHeaderNames.HOST, hostHeader);
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        request.headers().set(HttpHeaderNames.USER_AGENT, "sluice-health-check");
        return request;
    }

    /** The head of the check, the first stream of the probe's connection (the codec sends the preface before it). */
    private Http2Headers http2Head(String method, String path) {
        Http2Headers headers = new DefaultHttp2Headers().method(method).scheme(ssl != null ? "https" : "http")
                .authority(hostHeader).path(path);
        headers.set(HttpHeaderNames.USER_AGENT, "sluice-health-check");
        return headers;
    }

    private static Http2FrameCodec http2Codec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).maxHeaderListSize(PROBE_HEADER_LIST_SIZE))
                .validateHeaders(true)
                .build();
    }

    private void result(boolean passed, String detail) {
        probe = null;
        if (passed) {
            failures = 0;
            passes++;
            if (!healthy && passes >= config.rise()) {
                healthy = true;
                log.info("health check: upstream {} is up again ({} passed checks)", name, passes);
                listener.verdict(server, true);
            } else if (healthy && !judged) {
                listener.verdict(server, true);
            }
            judged = true;
        } else {
            passes = 0;
            failures++;
            if (healthy && failures >= config.fall()) {
                healthy = false;
                judged = true;
                log.warn("health check: upstream {} is down ({} failed checks, last: {})", name, failures, detail);
                listener.verdict(server, false);
            }
        }
        scheduleNext();
    }

    /** One probe's single result: the first of response head, close, connect failure or timeout wins. */
    final class Outcome {
        Channel channel;
        ScheduledFuture<?> timeout;
        private boolean finished;

        void finish(boolean passed, String detail) {
            if (finished) {
                return;
            }
            finished = true;
            timeout.cancel(false);
            if (channel != null) {
                channel.close();
            }
            if (!stopped) {
                result(passed, detail);
            }
        }
    }

    /** Opens the stream the check goes out on: Netty lets only a handler behind the frame codec do that. */
    private static final class StreamOpener extends Http2ChannelDuplexHandler {
        Http2FrameStream open() {
            return newStream();
        }
    }

    private final class ProbeHandler extends ChannelInboundHandlerAdapter {
        private final Outcome outcome;
        /** The answer of a gRPC check, allocated when its first bytes arrive. */
        private byte[] grpcMessage;
        private int grpcLength;

        ProbeHandler(Outcome outcome) {
            this.outcome = outcome;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    judge(response.status().code());
                } else if (msg instanceof Http2HeadersFrame headers && config.grpcService() != null) {
                    grpcHead(headers);
                } else if (msg instanceof Http2HeadersFrame headers && headers.headers().status() != null) {
                    judge(Integer.parseInt(headers.headers().status().toString()));
                } else if (msg instanceof Http2DataFrame data && config.grpcService() != null) {
                    grpcData(data.content());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /**
         * A gRPC check passes on a 200 head, then trailers with {@code grpc-status: 0} after a message whose
         * status is SERVING. A trailers-only answer carries an error (UNIMPLEMENTED without the health service,
         * NOT_FOUND for an unknown service name).
         */
        private void grpcHead(Http2HeadersFrame frame) {
            Http2Headers headers = frame.headers();
            if (headers.status() != null && !"200".contentEquals(headers.status())) {
                outcome.finish(false, "status " + headers.status());
                return;
            }
            if (!frame.isEndStream()) {
                return;
            }
            CharSequence grpcStatus = headers.get("grpc-status");
            if (grpcStatus == null || !"0".contentEquals(grpcStatus)) {
                outcome.finish(false, "grpc-status " + grpcStatus + (headers.contains("grpc-message")
                        ? " (" + headers.get("grpc-message") + ")" : ""));
                return;
            }
            int serving = grpcMessage == null ? -1 : GrpcHealth.servingStatus(grpcMessage, grpcLength);
            outcome.finish(serving == GrpcHealth.SERVING, serving < 0 ? "not a health check response"
                    : "serving status " + serving);
        }

        private void grpcData(ByteBuf content) {
            int size = content.readableBytes();
            if (grpcMessage == null) {
                grpcMessage = new byte[GrpcHealth.MAX_MESSAGE];
            }
            if (grpcLength + size > grpcMessage.length) {
                outcome.finish(false, "health check response over " + GrpcHealth.MAX_MESSAGE + " bytes");
                return;
            }
            content.readBytes(grpcMessage, grpcLength, size);
            grpcLength += size;
        }

        private void judge(int status) {
            // an informational head (100, 103) is not the answer
            if (status >= 200) {
                outcome.finish(config.expectStatus().contains(status), "status " + status);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
                outcome.finish(false, "TLS handshake failed: " + handshake.cause().getMessage());
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            outcome.finish(false, "connection closed before a response");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            outcome.finish(false, cause.getMessage());
        }
    }
}
