package io.sluice.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http3.DefaultHttp3SettingsFrame;
import io.netty.handler.codec.http3.Http3ErrorCode;
import io.netty.handler.codec.http3.Http3FrameToHttpObjectCodec;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.http3.Http3Settings;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.config.LimitsConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.Http3ConnectionGuard;
import io.sluice.http.Http3HeaderTimeout;
import io.sluice.http.Http3Requests;
import io.sluice.http.Http3UnfinishedResponses;
import io.sluice.http.LoopClock;
import io.sluice.http.SendRateGuard;
import io.sluice.routing.DispatchingHandler;
import io.sluice.routing.Router;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Assembles an HTTP/3 connection (a {@link QuicChannel}, after its TLS 1.3 handshake) and its request
 * streams:
 * <pre>
 * connection: admission → HTTP/3 connection handler (control and QPACK streams) → drain guard
 * stream:     [min-send-rate] → [HTTP/3 frame codec, added by Netty] → frame-to-HTTP/1 codec
 *             → reset of unfinished responses → header timeout → request completion → timeouts
 *             → flow control → dispatcher
 * </pre>
 * Each request stream runs the same dispatcher as an HTTP/2 stream, behind the same kind of translation to
 * HTTP/1.1 objects, so every action (static files, proxy, return) serves HTTP/3 unchanged. Streams read
 * on demand (auto-read off): QUIC flow control then holds back a client whose body is not being consumed.
 * The QPACK dynamic table stays off: no per-connection header table to keep or bound.
 */
final class Http3ChannelInitializer extends ChannelInitializer<QuicChannel> {
    static final String ADMISSION = "admission";
    static final String H3_CONNECTION = "h3-connection";
    static final String H3_GUARD = "h3-guard";
    static final String SEND_RATE = "send-rate";
    static final String CODEC = "codec";
    static final String H3_UNFINISHED = "h3-unfinished";
    static final String H3_HEADER_TIMEOUT = "h3-header-timeout";
    static final String H3_REQUESTS = "h3-requests";
    static final String TIMEOUTS = "timeouts";
    static final String FLOW = "flow";
    static final String DISPATCHER = "dispatcher";

    private final String address;
    private final QuicConnectionAdmission admission;
    private final Supplier<Router> router;
    private final BooleanSupplier accepting;
    private final LoopClock.PerLoop clocks = new LoopClock.PerLoop();

    /** {@code accepting} turns false when the listener stops taking connections (shutdown, reload). */
    Http3ChannelInitializer(String address, QuicConnectionAdmission admission, Supplier<Router> router,
                            BooleanSupplier accepting) {
        this.address = address;
        this.admission = admission;
        this.router = router;
        this.accepting = accepting;
    }

    @Override
    protected void initChannel(QuicChannel connection) {
        LimitsConfig limits = router.get().config().limits();
        Http3Settings settings = Http3Settings.defaultSettings().maxFieldSectionSize(limits.maxHeaderSize());
        // a connection that arrives while the listener drains is told GOAWAY as soon as its handshake is
        // done: closed earlier, before the client has keys for our answer, it would wait out its own timeout
        Http3ConnectionGuard guard = new Http3ConnectionGuard(!accepting.getAsBoolean(), limits.keepaliveTimeout());
        ChannelPipeline pipeline = connection.pipeline();
        pipeline.addLast(ADMISSION, admission);
        pipeline.addLast(H3_CONNECTION, new Http3ServerConnectionHandler(new StreamInitializer(guard, limits), null,
                null, new DefaultHttp3SettingsFrame(settings), true));
        pipeline.addLast(H3_GUARD, guard);
    }

    /** The pipeline of one request stream: frames in, HTTP/1-style messages to the dispatcher. */
    private final class StreamInitializer extends ChannelInitializer<QuicStreamChannel> {
        private final Http3ConnectionGuard guard;
        private final LimitsConfig limits;

        StreamInitializer(Http3ConnectionGuard guard, LimitsConfig limits) {
            this.guard = guard;
            this.limits = limits;
        }

        @Override
        protected void initChannel(QuicStreamChannel stream) {
            if (guard.draining()) {
                // past our GOAWAY: rejected unprocessed, so the client may retry it on a new connection (RFC 9114 §5.2)
                stream.shutdown(Http3ErrorCode.H3_REQUEST_REJECTED.code()).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            stream.config().setAutoRead(false);
            guard.streamOpened(stream);
            ChannelPipeline pipeline = stream.pipeline();
            if (limits.minSendRate() > 0) {
                pipeline.addFirst(SEND_RATE, SendRateGuard.forQuicStream(limits.minSendRate()));
            }
            pipeline.addLast(CODEC, new Http3FrameToHttpObjectCodec(true));
            pipeline.addLast(H3_UNFINISHED, new Http3UnfinishedResponses());
            pipeline.addLast(H3_HEADER_TIMEOUT, new Http3HeaderTimeout(limits.headerTimeout().toNanos()));
            pipeline.addLast(H3_REQUESTS, new Http3Requests());
            pipeline.addLast(TIMEOUTS, ConnectionTimeouts.forStream(limits, clocks.of(stream.eventLoop())));
            pipeline.addLast(FLOW, new FlowControlHandler());
            pipeline.addLast(DISPATCHER, new DispatchingHandler(router, address, true));
        }
    }
}
