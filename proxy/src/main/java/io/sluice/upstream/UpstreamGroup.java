package io.sluice.upstream;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.sluice.config.UpstreamConfig;
import io.sluice.tls.UpstreamClientContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A configured upstream group: its current server set and, per event loop, that set's pools and picker.
 *
 * <p>The server set changes when a host name in a server address resolves to other addresses (see
 * {@link HostResolution}). A new set is swapped in whole: each loop moves to it on its next request (and
 * at once, in a task of its own), keeping its pools of servers that are in both sets and retiring the
 * pools of servers that left, whose idle connections close while requests that still use them finish;
 * the balancing keeps what it knows of servers in both sets. A request runs on the set it started with.
 * The per-loop state is confined to its loop; other threads read only the volatile snapshots.
 */
public final class UpstreamGroup {
    private static final Logger log = LoggerFactory.getLogger(UpstreamGroup.class);
    /** The proxy tracks the servers a request tried in a 64-bit mask. */
    private static final int MAX_SERVERS = 64;

    private final UpstreamConfig config;
    private final Class<? extends SocketChannel> channelClass;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final ServerPicker.Group balancing;
    private final SslContext ssl;
    private final Map<EventLoop, LoopState> loops = new ConcurrentHashMap<>();
    private final HostResolution resolution;
    private volatile ServerSet current;

    /** One server set of the group, with its balancing. */
    private record ServerSet(List<UpstreamServer> servers, ServerPicker.Pickers pickers) {
    }

    /**
     * {@code resolver} resolves host names not resolved yet per connection; {@code dnsLoop} and {@code dns}
     * look them up for the server set, or are null when the group has no host name to follow.
     */
    UpstreamGroup(UpstreamConfig config, Class<? extends SocketChannel> channelClass,
                  AddressResolverGroup<InetSocketAddress> resolver, ServerPicker.Factory pickers, EventLoop dnsLoop,
                  DnsNameResolverBuilder dns) {
        this.config = config;
        this.balancing = pickers.forGroup(config, resolver);
        this.channelClass = channelClass;
        this.resolver = resolver;
        boolean anyTls = config.servers().stream().anyMatch(UpstreamConfig.Server::tls);
        this.ssl = anyTls ? UpstreamClientContexts.context(config.tls(), config.protocol() == UpstreamConfig.Protocol.H2) : null;
        this.current = newSet(config.servers());
        this.resolution = dns == null ? null : new HostResolution(config, dnsLoop, dns, this::serversResolved);
    }

    /** Starts following DNS, if the group has host names to follow. */
    void start() {
        if (resolution != null) {
            resolution.start();
        }
    }

    public UpstreamConfig config() {
        return config;
    }

    /** Stops what the group runs in the background (DNS look-ups, health checks); the group is no longer used. */
    void close() {
        if (resolution != null) {
            resolution.stop();
        }
        balancing.close();
    }

    private ServerSet newSet(List<UpstreamConfig.Server> servers) {
        List<UpstreamServer> list = new ArrayList<>();
        for (UpstreamConfig.Server server : servers) {
            list.add(UpstreamServer.of(server, server.tls() ? ssl : null, config.tls().sni()));
        }
        return new ServerSet(List.copyOf(list), balancing.balance(config.withServers(servers)));
    }

    /** DNS changed the group's servers: the new set goes live, and every loop moves to it. */
    private void serversResolved(List<UpstreamConfig.Server> servers) {
        List<UpstreamConfig.Server> kept = servers;
        if (servers.size() > MAX_SERVERS) {
            log.warn("upstream {}: its host names resolve to {} addresses; only the first {} are used",
                    config.name(), servers.size(), MAX_SERVERS);
            kept = servers.subList(0, MAX_SERVERS);
        }
        current = newSet(kept);
        for (LoopState state : loops.values()) {
            state.loop.execute(state::upstreams);
        }
    }

    LoopUpstreams forLoop(EventLoop loop) {
        LoopState state = loops.get(loop);
        if (state == null) {
            state = loops.computeIfAbsent(loop, LoopState::new);
        }
        return state.upstreams();
    }

    List<UpstreamStats> stats() {
        List<UpstreamStats> result = new ArrayList<>();
        for (UpstreamServer server : current.servers()) {
            int idle = 0;
            long opened = 0;
            long requests = 0;
            for (LoopState state : loops.values()) {
                ConnectionPool pool = state.pools.get(server.display());
                if (pool != null) {
                    PoolCounters counters = pool.counters();
                    idle += counters.idle;
                    opened += counters.opened;
                    requests += counters.requests;
                }
            }
            result.add(new UpstreamStats(config.name(), server.display(), idle, opened, requests));
        }
        return result;
    }

    /** One event loop's share of the group, touched only on that loop except for the volatile pool map. */
    private final class LoopState {
        private final EventLoop loop;
        private ServerSet set;
        private LoopUpstreams upstreams;
        private volatile Map<String, ConnectionPool> pools = Map.of();

        LoopState(EventLoop loop) {
            this.loop = loop;
        }

        /** This loop's pools and picker for the group's current server set, moving to it if it changed. */
        LoopUpstreams upstreams() {
            ServerSet wanted = current;
            if (set != wanted) {
                moveTo(wanted);
            }
            return upstreams;
        }

        private void moveTo(ServerSet wanted) {
            Map<String, ConnectionPool> previous = pools;
            Map<String, ConnectionPool> next = new HashMap<>();
            ConnectionPool[] array = new ConnectionPool[wanted.servers().size()];
            for (int i = 0; i < array.length; i++) {
                UpstreamServer server = wanted.servers().get(i);
                ConnectionPool pool = previous.get(server.display());
                if (pool == null) {
                    pool = next.get(server.display());
                }
                if (pool == null) {
                    pool = new ConnectionPool(loop, server, config, channelClass, resolver);
                }
                array[i] = pool;
                next.put(server.display(), pool);
            }
            previous.forEach((name, pool) -> {
                if (!next.containsKey(name)) {
                    pool.retire();
                }
            });
            pools = Map.copyOf(next);
            upstreams = new LoopUpstreams(array, wanted.pickers().newPicker());
            set = wanted;
        }
    }
}
