package io.sluice.upstream;

import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.sluice.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every upstream group of one configuration snapshot. Host names are resolved by Netty's asynchronous DNS
 * resolver on the connecting event loop (one resolver per loop, made by the group), never by the JDK's
 * blocking one; IP literals are not resolved at all.
 */
public final class Upstreams {
    private final Map<String, UpstreamGroup> groups = new LinkedHashMap<>();

    public Upstreams(Map<String, UpstreamConfig> configs, Class<? extends SocketChannel> socketChannelClass,
                     Class<? extends DatagramChannel> datagramChannelClass, ServerPicker.Factory pickers) {
        AddressResolverGroup<InetSocketAddress> resolver = new DnsAddressResolverGroup(
                new DnsNameResolverBuilder().datagramChannelType(datagramChannelClass));
        for (UpstreamConfig config : configs.values()) {
            groups.put(config.name(), new UpstreamGroup(config, socketChannelClass, resolver, pickers));
        }
    }

    public UpstreamGroup group(String name) {
        UpstreamGroup group = groups.get(name);
        if (group == null) {
            throw new IllegalArgumentException("no upstream named " + name);
        }
        return group;
    }

    /** Pool sizes and reuse per upstream server, for metrics and the admin API. */
    public List<UpstreamStats> stats() {
        List<UpstreamStats> result = new ArrayList<>();
        for (UpstreamGroup group : groups.values()) {
            result.addAll(group.stats());
        }
        return result;
    }
}
