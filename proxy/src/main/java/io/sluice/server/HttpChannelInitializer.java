package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.sluice.config.LimitsConfig;
import io.sluice.config.ListenConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.AlternativeServices;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.Http2ConnectionGuard;
import io.sluice.http.Http2GoAwayLog;
import io.sluice.http.Http2Connections;
import io.sluice.http.Http2Streams;
import io.sluice.http.HttpCodecs;
import io.sluice.http.LoopClock;
import io.sluice.http.ProxyProtocolHandler;
import io.sluice.http.ReadAheadFlowControl;
import io.sluice.http.StreamFlushBatcher;
import io.sluice.http.SendRateGuard;
import io.sluice.routing.ConnectionRoutes;
import io.sluice.routing.DispatchingHandler;
import io.sluice.routing.RequestDispatcher;
import io.sluice.routing.Router;
import io.sluice.tls.SniSelector;
import io.sluice.tls.CloseNotifyHold;
import io.sluice.tls.TlsSessionEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Assembles a client connection's pipeline in named stages, in the order bytes meet them:
 * <pre>
 * timeouts (raw bytes) → [proxy-protocol] → [close-notify] → [tls: SNI, then the SslHandler] → [protocol] → [tls-end] → HTTP
 * </pre>
 * {@code tls-end} closes a connection whose TLS session failed or was ended by the client after the handshake
 * ({@link TlsSessionEnd}); {@code close-notify} keeps the client's end of the session from the TLS handler until
 * the connection's clocks say that no response is owed ({@link CloseNotifyHold}).
 * {@code proxy-protocol} is where a PROXY protocol decoder goes ({@code addAfter(TIMEOUTS, ...)}): its
 * header precedes everything, including a TLS ClientHello. {@code protocol} chooses the HTTP stage once:
 * by ALPN after the TLS handshake, or by the HTTP/2 connection preface on a plain listener with
 * {@code http2 = true}; it then removes itself. The HTTP stage is either HTTP/1.1 (codec → flow control →
 * dispatcher) or HTTP/2 (flush batching → frame codec → streams → connection guard), where every stream is
 * a plain object that runs the same dispatcher behind a frame-to-HTTP/1 translation, so each action serves
 * both protocols ({@link Http2Streams}). On a plain HTTP/1.1
 * listener a connection opens with the dispatcher alone: codec and flow control come with its first byte
 * ({@link ConnectionTimeouts#openReleased}), so a connection that has not sent anything yet holds ~400 B less.
 *
 * <p>It is the listener's child handler, shared by all its connections: it builds a connection's pipeline
 * when it is added to it, on the connection's loop once the connection has registered, and then takes itself
 * out. Netty's {@code ChannelInitializer} does the same but also enters every connection into a set shared by
 * all loops, and takes it out twice, so that a pipeline is not built a second time when the initializer was
 * added before the channel registered; the bootstrap adds the child handler to a connection before it
 * registers, and Netty calls {@code handlerAdded} only after registration, exactly once.
 */
@ChannelHandler.Sharable
final class HttpChannelInitializer extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpChannelInitializer.class);

    static final String TIMEOUTS = "timeouts";
    static final String PROXY_PROTOCOL = "proxy-protocol";
    static final String TLS = "tls";
    static final String PROTOCOL = "protocol";
    static final String CLOSE_NOTIFY = "close-notify";
    static final String TLS_END = "tls-end";
    static final String CODEC = "codec";
    static final String FLOW = "flow";
    static final String DISPATCHER = "dispatcher";
    static final String FLUSH = "flush";
    static final String H2_CODEC = "h2-codec";
    static final String H2_STREAMS = "h2-streams";
    static final String H2_GUARD = "h2-guard";

    private final ListenConfig listen;
    private final String address;
    private final ConnectionAdmission admission;
    private final Supplier<Router> router;
    private final Mapping<String, SslContext> certificates;
    private final AlternativeServices alternatives;
    private final LoopClock.PerLoop clocks = new LoopClock.PerLoop();
    /**
     * The codec release of the latest limits snapshot, reused while the snapshot lasts. Loops race on it
     * harmlessly: each sees some complete instance (final field) and at worst builds an equal one.
     */
    private IdleCodecRelease codecRelease;

    /**
     * {@code certificates} chooses the certificate by SNI on a TLS listener; {@code null} otherwise.
     * {@code alternatives} are the {@code Alt-Svc} values TLS responses carry.
     */
    HttpChannelInitializer(ListenConfig listen, ConnectionAdmission admission, Supplier<Router> router,
                           Mapping<String, SslContext> certificates, AlternativeServices alternatives) {
        this.listen = listen;
        this.address = listen.address().toString();
        this.admission = admission;
        this.router = router;
        this.certificates = certificates;
        this.alternatives = listen.tls() ? alternatives : null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        try {
            initChannel(ctx.channel());
        } catch (RuntimeException | Error e) {
            // a connection whose pipeline could not be built must not stay open with half of it
            log.warn("cannot set up the connection from {}", ctx.channel().remoteAddress(), e);
            ctx.channel().close();
        } finally {
            if (!ctx.isRemoved()) {
                ctx.pipeline().remove(this);
            }
        }
    }

    private void initChannel(Channel channel) {
        if (!admission.admit(channel)) {
            // refused before any byte is read: the pipeline stays empty
            channel.close();
            return;
        }
        // limits are read from the snapshot current when the connection opens; it keeps them for its life
        LimitsConfig limits = router.get().config().limits();
        ChannelPipeline pipeline = channel.pipeline();
        ConnectionTimeouts timeouts = new ConnectionTimeouts(limits, clocks.of(channel.eventLoop()));
        pipeline.addLast(TIMEOUTS, timeouts);
        if (limits.minSendRate() > 0) {
            pipeline.addLast(new SendRateGuard(limits.minSendRate()));
        }
        if (listen.proxyProtocol()) {
            // the PROXY header comes before any other byte, TLS included
            pipeline.addLast(new HAProxyMessageDecoder(), new ProxyProtocolHandler());
        }
        if (listen.tls()) {
            CloseNotifyHold closeNotifyHold = new CloseNotifyHold(timeouts);
            timeouts.tellWhenWaiting(closeNotifyHold);
            pipeline.addLast(CLOSE_NOTIFY, closeNotifyHold);
            pipeline.addLast(TLS, new SniSelector(certificates, limits.headerTimeout().toMillis(), TLS));
            pipeline.addLast(PROTOCOL, new AlpnSelector(this));
            pipeline.addLast(TLS_END, new TlsSessionEnd(closeNotifyHold));
        } else if (listen.http2()) {
            pipeline.addLast(PROTOCOL, new PrefaceSelector(this));
        } else {
            // nothing has been read yet: the codec and flow control come with the first byte, as after idling
            pipeline.addLast(DISPATCHER, newDispatcher());
            timeouts.openReleased(codecRelease(limits));
        }
    }

    /** The HTTP/1.1 stage of a connection whose protocol was chosen after it opened (ALPN, no preface). */
    void addHttp1(ChannelPipeline pipeline) {
        LimitsConfig limits = router.get().config().limits();
        if (listen.tls()) {
            // fewer flushes reach the SslHandler, so responses leave in fewer, fuller TLS records
            pipeline.addLast(FLUSH, new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, false));
        }
        pipeline.addLast(CODEC, HttpCodecs.serverCodec(limits));
        pipeline.addLast(FLOW, new ReadAheadFlowControl());
        pipeline.addLast(DISPATCHER, newDispatcher());
        pipeline.get(ConnectionTimeouts.class).releaseWhenIdle(codecRelease(limits));
    }

    private DispatchingHandler newDispatcher() {
        return new DispatchingHandler(router, address, listen.tls(), alternatives);
    }

    private IdleCodecRelease codecRelease(LimitsConfig limits) {
        IdleCodecRelease release = codecRelease;
        if (release == null || release.limits() != limits) {
            release = new IdleCodecRelease(limits);
            codecRelease = release;
        }
        return release;
    }

    /**
     * HTTP/2 reads with auto-read on: flow-control windows, the stream limit and the frame guards bound
     * what a peer can make us buffer, and each stream hands its request body to its dispatcher only on demand.
     */
    void addHttp2(Channel channel) {
        SluiceConfig config = router.get().config();
        ChannelPipeline pipeline = channel.pipeline();
        Http2ConnectionGuard guard = new Http2ConnectionGuard(pipeline.get(ConnectionTimeouts.class));
        // a connection's streams run on its loop: its clock is looked up once, not per stream
        LoopClock clock = clocks.of(channel.eventLoop());
        Http2FrameCodec codec = Http2Connections.frameCodec(config.http2(), config.limits(), config.shutdownTimeout());
        codec.connection().addListener(new Http2GoAwayLog(channel));
        pipeline.addLast(FLUSH, new StreamFlushBatcher());
        pipeline.addLast(H2_CODEC, codec);
        // the connection's streams share its routes: the snapshot it opened with, the address looked up once
        ConnectionRoutes routes = new ConnectionRoutes(router, address);
        pipeline.addLast(H2_STREAMS, new Http2Streams(codec.connection(), guard, config.limits(), clock,
                (stream, timeouts) -> new RequestDispatcher(routes, listen.tls(), alternatives, stream, timeouts)));
        pipeline.addLast(H2_GUARD, guard);
        channel.config().setAutoRead(true);
    }
}
