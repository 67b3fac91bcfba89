package io.sluice.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.config.ListenConfig;
import io.sluice.config.LimitsConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.http.ProxyProtocolHandler;
import io.sluice.http.SendRateGuard;
import io.sluice.routing.RequestDispatcher;
import io.sluice.routing.Router;

import java.util.function.Supplier;

/**
 * Assembles a client connection's pipeline, in the order a request meets it:
 * limit → timeouts (raw bytes) → HTTP codec → flow control → dispatcher.
 */
final class HttpChannelInitializer extends ChannelInitializer<SocketChannel> {
    static final String LIMITER = "limiter";
    static final String TIMEOUTS = "timeouts";
    static final String CODEC = "codec";
    static final String FLOW = "flow";
    static final String DISPATCHER = "dispatcher";

    private final ListenConfig listen;
    private final ConnectionLimiter limiter;
    private final Supplier<Router> router;

    HttpChannelInitializer(ListenConfig listen, ConnectionLimiter limiter, Supplier<Router> router) {
        this.listen = listen;
        this.limiter = limiter;
        this.router = router;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        // limits are read from the snapshot current when the connection opens; it keeps them for its life
        LimitsConfig limits = router.get().config().limits();
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(LIMITER, limiter);
        pipeline.addLast(TIMEOUTS, new ConnectionTimeouts(limits));
        if (limits.minSendRate() > 0) {
            pipeline.addLast(new SendRateGuard(limits.minSendRate()));
        }
        if (listen.proxyProtocol()) {
            pipeline.addLast(new HAProxyMessageDecoder(), new ProxyProtocolHandler());
        }
        pipeline.addLast(CODEC, HttpCodecs.serverCodec(limits));
        pipeline.addLast(FLOW, new FlowControlHandler());
        pipeline.addLast(DISPATCHER, new RequestDispatcher(router, listen.address().toString(), listen.tls()));
    }
}
