package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.sluice.metrics.ListenerMetrics;

/**
 * The first handler of every connection accepted on one listen address: counts it for that address's
 * metrics and tracks it in the address's group, so that a reload which removes the address can drain
 * exactly its connections. Then hands the pipeline to the HTTP initializer.
 */
final class ListenerTracker extends ChannelInitializer<Channel> {
    private final ChannelHandler pipelineInitializer;
    private final Counter counter;

    ListenerTracker(ListenerMetrics metrics, ChannelGroup connections, ChannelHandler pipelineInitializer) {
        this.pipelineInitializer = pipelineInitializer;
        this.counter = new Counter(metrics, connections);
    }

    @Override
    protected void initChannel(Channel channel) {
        channel.pipeline().addLast(counter, pipelineInitializer);
    }

    @ChannelHandler.Sharable
    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final ListenerMetrics metrics;
        private final ChannelGroup connections;

        Counter(ListenerMetrics metrics, ChannelGroup connections) {
            this.metrics = metrics;
            this.connections = connections;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            metrics.connectionOpened();
            connections.add(ctx.channel());
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            metrics.connectionClosed();
            ctx.fireChannelInactive();
        }
    }
}
