package io.sluice.upstream;

import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.sluice.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream groups in use, by name, across configuration reloads: a reload that leaves a group's
 * configuration unchanged keeps the group and its pooled connections; a changed group is replaced, and
 * the old one's idle connections close by their idle timeout while requests still using it finish. Host
 * names are resolved by Netty's asynchronous DNS resolver on the connecting event loop (one resolver per
 * loop), never by the JDK's blocking one; IP literals are not resolved at all.
 */
public final class Upstreams {
    private final Map<String, UpstreamGroup> groups = new ConcurrentHashMap<>();
    private final Class<? extends SocketChannel> socketChannelClass;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final ServerPicker.Factory pickers;

    public Upstreams(Class<? extends SocketChannel> socketChannelClass,
                     Class<? extends DatagramChannel> datagramChannelClass, ServerPicker.Factory pickers) {
        this.socketChannelClass = socketChannelClass;
        this.pickers = pickers;
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(datagramChannelClass));
    }

    /** The group for {@code config}: the one in use when its configuration is unchanged, else a new one. */
    public UpstreamGroup group(UpstreamConfig config) {
        return groups.compute(config.name(), (name, current) -> current != null && current.config().equals(config)
                ? current : new UpstreamGroup(config, socketChannelClass, resolver, pickers));
    }

    /**
     * Forgets groups a new configuration no longer names (requests still using one finish on it; its idle
     * connections close by their idle timeout), so that stats list only configured upstreams.
     */
    public void retain(Collection<String> names) {
        groups.keySet().retainAll(names);
    }

    /** Pool sizes and reuse per upstream server, for metrics and the admin API. */
    public List<UpstreamStats> stats() {
        List<UpstreamStats> result = new ArrayList<>();
        for (UpstreamGroup group : new TreeMap<>(groups).values()) {
            result.addAll(group.stats());
        }
        return result;
    }
}
