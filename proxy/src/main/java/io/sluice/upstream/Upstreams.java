package io.sluice.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.sluice.config.UpstreamConfig;
import io.sluice.util.HostAndPort;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream groups in use, by name, across configuration reloads: a reload that leaves a group's
 * configuration unchanged keeps the group and its pooled connections; a changed group is replaced, and
 * the old one's idle connections close by their idle timeout while requests still using it finish. Host
 * names are resolved by Netty's asynchronous DNS resolver, never by the JDK's blocking one: a group
 * follows its host names' addresses from one event loop (see {@link HostResolution}), and a host name not
 * resolved yet is looked up on the connecting loop. IP literals are not resolved at all, and no DNS resolver
 * is made until a group with a host name is built ({@link OnDemandDnsResolvers}). The name servers are the system's,
 * or those of the group's {@code resolver { servers }}.
 */
public final class Upstreams {
    private final Map<String, UpstreamGroup> groups = new ConcurrentHashMap<>();
    private final EventLoopGroup loops;
    private final Class<? extends SocketChannel> socketChannelClass;
    private final Class<? extends DatagramChannel> datagramChannelClass;
    private final Map<List<HostAndPort>, OnDemandDnsResolvers> connectResolvers = new ConcurrentHashMap<>();
    private final ServerPicker.Factory pickers;

    public Upstreams(EventLoopGroup loops, Class<? extends SocketChannel> socketChannelClass,
                     Class<? extends DatagramChannel> datagramChannelClass, ServerPicker.Factory pickers) {
        this.loops = loops;
        this.socketChannelClass = socketChannelClass;
        this.datagramChannelClass = datagramChannelClass;
        this.pickers = pickers;
    }

    /** The group for {@code config}: the one in use when its configuration is unchanged, else a new one. */
    public UpstreamGroup group(UpstreamConfig config) {
        return groups.compute(config.name(), (name, current) -> {
            if (current != null && current.config().equals(config)) {
                return current;
            }
            if (current != null) {
                current.close();
            }
            List<HostAndPort> nameServers = config.dns().nameServers();
            OnDemandDnsResolvers connectResolver = connectResolvers.computeIfAbsent(nameServers,
                    servers -> new OnDemandDnsResolvers(() -> new DnsAddressResolverGroup(resolverBuilder(servers))));
            boolean hostNames = config.servers().stream().anyMatch(HostResolution::needsResolution);
            if (hostNames) {
                connectResolver.prepare();
            }
            boolean follow = !config.dns().resolveInterval().isZero() && hostNames;
            UpstreamGroup group = new UpstreamGroup(config, socketChannelClass, connectResolver, pickers,
                    follow ? loops.next() : null, follow ? resolverBuilder(nameServers) : null);
            group.start();
            return group;
        });
    }

    /** A DNS resolver asking {@code nameServers} in turn, or the system's name servers when there are none. */
    private DnsNameResolverBuilder resolverBuilder(List<HostAndPort> nameServers) {
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder().datagramChannelType(datagramChannelClass);
        if (!nameServers.isEmpty()) {
            builder.nameServerProvider(nameServerProvider(nameServers));
        }
        return builder;
    }

    private static DnsServerAddressStreamProvider nameServerProvider(List<HostAndPort> nameServers) {
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (HostAndPort server : nameServers) {
            // validated IP literals: no look-up happens here
            addresses.add(new InetSocketAddress(server.host(), server.port()));
        }
        return new SequentialDnsServerAddressStreamProvider(addresses);
    }

    /**
     * Forgets groups a new configuration no longer names (requests still using one finish on it; its idle
     * connections close by their idle timeout), so that stats list only configured upstreams; their health
     * checks and DNS look-ups stop.
     */
    public void retain(Collection<String> names) {
        groups.keySet().removeIf(name -> {
            if (names.contains(name)) {
                return false;
            }
            groups.get(name).close();
            return true;
        });
    }

    /** Stops what the groups run in the background (health checks, DNS look-ups), at shutdown. */
    public void close() {
        retain(Set.of());
        connectResolvers.values().forEach(AddressResolverGroup::close);
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
