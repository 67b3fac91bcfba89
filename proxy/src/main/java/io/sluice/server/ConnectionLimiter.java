package io.sluice.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts client connections across all loops and closes those over {@code max-connections} at once,
 * before any byte is read. Open connections are tracked in a group so that shutdown can drain them.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    private final int maxConnections;
    private final ChannelGroup open;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    ConnectionLimiter(int maxConnections, ChannelGroup open) {
        this.maxConnections = maxConnections;
        this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            if (refused.getAndIncrement() % 1000 == 0) {
                log.warn("max-connections {} reached; refusing connections", maxConnections);
            }
            ctx.pipeline().remove(this);
            ctx.close();
            return;
        }
        open.add(ctx.channel());
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        active.decrementAndGet();
        ctx.fireChannelInactive();
    }

    int active() {
        return active.get();
    }

    long refused() {
        return refused.get();
    }
}
