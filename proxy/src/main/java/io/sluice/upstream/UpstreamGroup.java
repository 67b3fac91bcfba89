package io.sluice.upstream;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.sluice.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A configured upstream group: its servers and, per event loop, their pools. The per-loop state is made
 * on the loop's first request and from then on only read from the map; everything inside it is confined
 * to that loop.
 */
public final class UpstreamGroup {
    private final UpstreamConfig config;
    private final List<UpstreamServer> servers;
    private final Class<? extends SocketChannel> channelClass;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final ServerPicker.Group balancing;
    private final Map<EventLoop, LoopUpstreams> loops = new ConcurrentHashMap<>();

    UpstreamGroup(UpstreamConfig config, Class<? extends SocketChannel> channelClass,
                  AddressResolverGroup<InetSocketAddress> resolver, ServerPicker.Factory pickers) {
        this.config = config;
        this.balancing = pickers.forGroup(config);
        this.channelClass = channelClass;
        this.resolver = resolver;
        boolean anyTls = config.servers().stream().anyMatch(UpstreamConfig.Server::tls);
        SslContext ssl = anyTls ? UpstreamTls.context(config.tls(), config.protocol() == UpstreamConfig.Protocol.H2) : null;
        List<UpstreamServer> list = new ArrayList<>();
        for (UpstreamConfig.Server server : config.servers()) {
            list.add(UpstreamServer.of(server, server.tls() ? ssl : null, config.tls().sni()));
        }
        this.servers = List.copyOf(list);
    }

    public UpstreamConfig config() {
        return config;
    }

    /** Stops what the group's balancing runs in the background (health checks); the group is no longer used. */
    void close() {
        balancing.close();
    }

    LoopUpstreams forLoop(EventLoop loop) {
        LoopUpstreams state = loops.get(loop);
        if (state == null) {
            state = loops.computeIfAbsent(loop, this::newLoopState);
        }
        return state;
    }

    private LoopUpstreams newLoopState(EventLoop loop) {
        ConnectionPool[] pools = new ConnectionPool[servers.size()];
        for (int i = 0; i < pools.length; i++) {
            pools[i] = new ConnectionPool(loop, servers.get(i), config, channelClass, resolver);
        }
        return new LoopUpstreams(pools, balancing.newPicker());
    }

    List<UpstreamStats> stats() {
        List<UpstreamStats> result = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            int idle = 0;
            long opened = 0;
            long requests = 0;
            for (LoopUpstreams state : loops.values()) {
                PoolCounters counters = state.pools()[i].counters();
                idle += counters.idle;
                opened += counters.opened;
                requests += counters.requests;
            }
            result.add(new UpstreamStats(config.name(), servers.get(i).display(), idle, opened, requests));
        }
        return result;
    }
}
