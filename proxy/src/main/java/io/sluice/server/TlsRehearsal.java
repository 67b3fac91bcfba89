package io.sluice.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ListenConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ClientLink;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.Http2ConnectionGuard;
import io.sluice.http.Http2Connections;
import io.sluice.http.Http2Streams;
import io.sluice.http.LoopClock;
import io.sluice.http.StreamFlushBatcher;
import io.sluice.tls.SniSelector;
import io.sluice.tls.TlsProvider;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs one TLS connection through a listener's own certificate contexts in memory, as the server starts:
 * a handshake by SNI selection and ALPN, and on an {@code h2} listener two rounds of {@link #STREAMS} requests
 * through the same HTTP/2 frame codec, stream stage and frame-to-HTTP/1 translation that serve clients.
 * The requests are answered here, not by the locations: nothing is routed, logged, counted or sent upstream.
 *
 * <p>Why: the first TLS connection of a process loads and initialises some 300 classes (the BoringSSL engine,
 * ALPN, the HTTP/2 codec, HPACK and its tables) and runs all of it interpreted, on the event loop, while every
 * connection that arrived with it waits in line. On one core that was about 0.2 s of the loop's CPU and as
 * much again of the compilers' for the first 16 handshakes, and h2load's first 16 clients saw their
 * handshakes complete 0.2 to 1.5 s after connecting (a client whose handshake ends after h2load's {@code -D}
 * duration is never stopped). Done once here, at start, the loop meets that code loaded and initialised:
 * 60 to 100 ms of loop CPU for the same 16 handshakes. More rehearsed connections did not measurably help
 * further (a hundred cost a second more at start), so one it is.
 *
 * <p>It costs the start 0.2 to 0.35 s of CPU (its thread's time on one busy core); the server runs it on the
 * blocking pool after the binds, never on an event loop. It returns normally whatever happens: a rehearsal
 * that fails only leaves the first connections as slow as they were without it.
 */
final class TlsRehearsal {
    private static final Logger log = LoggerFactory.getLogger(TlsRehearsal.class);
    /** Requests in flight at once, as a client multiplexing a few streams would have them. */
    static final int STREAMS = 4;
    private static final int ROUNDS = 2;
    /**
     * More hand-overs than a handshake and a round of requests take; the bound only guarantees the end when
     * something keeps answering.
     */
    private static final int MAX_TRANSFERS = 200;
    private static final byte[] BODY = {'o', 'k'};

    /** What one rehearsal got to: the protocol ALPN chose ({@code null} if the handshake did not finish). */
    record Outcome(String protocol, int responses) {
    }

    private TlsRehearsal() {
    }

    /**
     * Rehearses a connection on each TLS address among {@code listeners}, with the certificates
     * {@code selectors} gives it, and logs what each got to.
     */
    static void rehearse(Collection<ListenConfig> listeners, Function<String, Mapping<String, SslContext>> selectors,
                         SluiceConfig config) {
        List<ListenConfig> tls = listeners.stream().filter(ListenConfig::tls).toList();
        if (tls.isEmpty()) {
            return;
        }
        SslContext client;
        try {
            client = clientContext();
        } catch (SSLException | RuntimeException e) {
            log.warn("tls: no rehearsal, the first connections will be slower: {}", e.toString());
            return;
        }
        try {
            for (ListenConfig listen : tls) {
                String address = listen.address().toString();
                long start = System.nanoTime();
                try {
                    Outcome outcome = run(client, selectors.apply(address), config);
                    log.info("tls: rehearsed a connection on {} in {} ms: {}, {} responses", address,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), outcome.protocol(),
                            outcome.responses());
                } catch (RuntimeException e) {
                    log.warn("tls: rehearsal on {} failed, its first connections will be slower: {}", address,
                            e.toString());
                }
            }
        } finally {
            ReferenceCountUtil.release(client);
        }
    }

    /** A client context offering what a browser offers, trusting any certificate: it only talks to us, in memory. */
    static SslContext clientContext() throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(TlsProvider.provider())
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    /** One connection from {@code client} to a listener choosing its certificate with {@code certificates}. */
    static Outcome run(SslContext client, Mapping<String, SslContext> certificates, SluiceConfig config) {
        ServerProtocol protocol = new ServerProtocol(config);
        EmbeddedChannel server = new EmbeddedChannel(
                new SniSelector(certificates, config.limits().headerTimeout().toMillis(), HttpChannelInitializer.TLS),
                protocol);
        Requests requests = new Requests();
        EmbeddedChannel clientChannel = new EmbeddedChannel(client.newHandler(ByteBufAllocator.DEFAULT),
                Http2FrameCodecBuilder.forClient().build(), requests);
        try {
            exchange(clientChannel, server);
            if (ApplicationProtocolNames.HTTP_2.equals(protocol.chosen)) {
                for (int round = 0; round < ROUNDS; round++) {
                    requests.send(clientChannel);
                    exchange(clientChannel, server);
                }
            }
            return new Outcome(protocol.chosen, requests.responses);
        } finally {
            clientChannel.finishAndReleaseAll();
            server.finishAndReleaseAll();
        }
    }

    /** Hands bytes over between the two ends until neither has anything more to say. */
    private static void exchange(EmbeddedChannel client, EmbeddedChannel server) {
        for (int transfers = 0; transfers < MAX_TRANSFERS; transfers++) {
            if (!(transfer(client, server) | transfer(server, client))) {
                return;
            }
        }
    }

    private static boolean transfer(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object msg = from.readOutbound(); msg != null; msg = from.readOutbound()) {
            // every flush of the TLS handler writes, empty when it had nothing: handing that over would make
            // the other end flush an empty buffer back, and so on forever
            if (msg instanceof ByteBuf bytes && !bytes.isReadable()) {
                bytes.release();
                continue;
            }
            to.writeInbound(msg);
            moved = true;
        }
        return moved;
    }

    /** The server's protocol stage after the handshake: the HTTP/2 stage of the listener, answering itself. */
    private static final class ServerProtocol extends ApplicationProtocolNegotiationHandler {
        private final SluiceConfig config;
        private String chosen;

        ServerProtocol(SluiceConfig config) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.config = config;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            chosen = protocol;
            if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                return;
            }
            LoopClock clock = new LoopClock(ctx.executor());
            ConnectionTimeouts timeouts = new ConnectionTimeouts(config.limits(), clock);
            Http2ConnectionGuard guard = new Http2ConnectionGuard(timeouts);
            Http2FrameCodec codec = Http2Connections.frameCodec(config.http2(), config.limits(), config.shutdownTimeout());
            ctx.pipeline().addLast(timeouts, new StreamFlushBatcher(), codec,
                    new Http2Streams(codec.connection(), guard, config.limits(), clock,
                            (stream, streamTimeouts) -> new Answer(stream)),
                    guard);
        }
    }

    /** Stands in for the dispatcher on a rehearsal stream: a short 200 to every request. */
    private static final class Answer implements ClientLink.Receiver {
        private final ClientLink stream;

        Answer(ClientLink stream) {
            this.stream = stream;
        }

        @Override
        public void start() {
            stream.read();
        }

        @Override
        public void received(Object msg) {
            boolean request = msg instanceof HttpRequest;
            ReferenceCountUtil.release(msg);
            if (request) {
                DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.OK, Unpooled.wrappedBuffer(BODY));
                response.headers().set(HttpHeaderNames.CONTENT_LENGTH, BODY.length)
                        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
                stream.writeAndFlush(response);
            }
        }

        @Override
        public void expired(ConnectionTimeouts.Phase phase) {
            stream.close();
        }

        @Override
        public void writabilityChanged(boolean writable) {
        }

        @Override
        public void closed() {
        }
    }

    /** The client's requests: {@link #STREAMS} GETs at a time, counting the responses that end their stream. */
    private static final class Requests extends Http2ChannelDuplexHandler {
        private int responses;

        void send(EmbeddedChannel channel) {
            for (int i = 0; i < STREAMS; i++) {
                DefaultHttp2Headers headers = new DefaultHttp2Headers();
                headers.method("GET").scheme("https").path("/").authority("localhost");
                channel.write(new DefaultHttp2HeadersFrame(headers, true).stream(newStream()));
            }
            channel.flush();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame data && data.isEndStream()) {
                responses++;
            }
            ReferenceCountUtil.release(msg);
        }
    }
}
