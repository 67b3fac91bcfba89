package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.sluice.http.ClientStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The client connections open on all listeners, admitted within {@code max-connections} (and
 * {@code max-connections-per-ip} for one client address) when they open, before any byte is read. Shutdown
 * and reloads find here the connections to drain.
 *
 * <p>A connection costs one map entry, whose value is the address it was counted against: no attribute, no
 * handler, no listener of its own (see {@link ConnectionAdmission}). The counters are touched once per
 * connection, never per request.
 */
final class OpenConnections implements Iterable<Channel> {
    private static final Logger log = LoggerFactory.getLogger(OpenConnections.class);
    /** The map value of a connection counted against no address: no per-address limit, or not an IP peer. */
    private static final Object UNCOUNTED = new Object();

    private final int maxConnections;
    private final int maxPerAddress;
    private final ConcurrentHashMap<Channel, Object> open = new ConcurrentHashMap<>();
    private final AtomicInteger active = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();

    OpenConnections(int maxConnections, int maxPerAddress) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
    }

    /** Counts {@code channel} as open if the limits allow it; false when it must be refused. */
    boolean admit(Channel channel) {
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            refuse("max-connections " + maxConnections);
            return false;
        }
        Object counted = UNCOUNTED;
        InetSocketAddress peer = maxPerAddress > 0 ? ClientStreams.peer(channel) : null;
        InetAddress address = peer == null ? null : peer.getAddress();
        if (address != null) {
            AtomicInteger count = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
            if (count.incrementAndGet() > maxPerAddress) {
                release(address);
                active.decrementAndGet();
                refuse("max-connections-per-ip " + maxPerAddress + " for " + address.getHostAddress());
                return false;
            }
            counted = address;
        }
        open.put(channel, counted);
        return true;
    }

    /** Forgets a closed connection; nothing happens for one that was refused or is already forgotten. */
    void closed(Channel channel) {
        Object counted = open.remove(channel);
        if (counted == null) {
            return;
        }
        active.decrementAndGet();
        if (counted instanceof InetAddress address) {
            release(address);
        }
    }

    private void release(InetAddress address) {
        perAddress.computeIfPresent(address, (a, count) -> count.decrementAndGet() == 0 ? null : count);
    }

    private void refuse(String limit) {
        refused.increment();
        if (refused.sum() % 1000 == 1) {
            log.warn("{} reached; refusing connections ({} refused so far)", limit, refused.sum());
        }
    }

    /** Closes every open connection and waits until each has closed. */
    void closeAll() {
        List<ChannelFuture> closing = new ArrayList<>();
        for (Channel channel : open.keySet()) {
            closing.add(channel.close());
        }
        closing.forEach(ChannelFuture::awaitUninterruptibly);
    }

    @Override
    public Iterator<Channel> iterator() {
        return open.keySet().iterator();
    }

    boolean isEmpty() {
        return open.isEmpty();
    }

    int active() {
        return active.get();
    }
}
