package io.sluice.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.util.AttributeKey;
import io.sluice.http.ClientStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts client connections across all loops and closes those over {@code max-connections} (or over
 * {@code max-connections-per-ip} for one client address) at once, before any byte is read. Open
 * connections are tracked in a group so that shutdown can drain them. The counters are touched once per
 * connection, never per request.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final AttributeKey<InetAddress> COUNTED_ADDRESS = AttributeKey.valueOf("sluice.countedAddress");

    private final int maxConnections;
    private final int maxPerAddress;
    private final ChannelGroup open;
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();

    ConnectionLimiter(int maxConnections, int maxPerAddress, ChannelGroup open) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            refuse(ctx, "max-connections " + maxConnections);
            return;
        }
        if (maxPerAddress > 0) {
            InetSocketAddress peer = ClientStreams.peer(ctx.channel());
            InetAddress address = peer == null ? null : peer.getAddress();
            if (address != null) {
                AtomicInteger count = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
                if (count.incrementAndGet() > maxPerAddress) {
                    count.decrementAndGet();
                    active.decrementAndGet();
                    refuse(ctx, "max-connections-per-ip " + maxPerAddress + " for " + address.getHostAddress());
                    return;
                }
                ctx.channel().attr(COUNTED_ADDRESS).set(address);
            }
        }
        open.add(ctx.channel());
        ctx.fireChannelActive();
    }

    private void refuse(ChannelHandlerContext ctx, String limit) {
        refused.increment();
        if (refused.sum() % 1000 == 1) {
            log.warn("{} reached; refusing connections ({} refused so far)", limit, refused.sum());
        }
        ctx.pipeline().remove(this);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        active.decrementAndGet();
        InetAddress address = ctx.channel().attr(COUNTED_ADDRESS).getAndSet(null);
        if (address != null) {
            perAddress.computeIfPresent(address, (a, count) -> count.decrementAndGet() == 0 ? null : count);
        }
        ctx.fireChannelInactive();
    }

    int active() {
        return active.get();
    }

    long refused() {
        return refused.sum();
    }
}
