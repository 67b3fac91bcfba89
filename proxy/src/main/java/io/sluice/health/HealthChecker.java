package io.sluice.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.tls.UpstreamClientContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Active health checks of one upstream group: every server is probed with a GET of the check path on an
 * event loop of the worker group, with non-blocking I/O and Netty's asynchronous resolver, off the
 * request path. A server written {@code https://} is probed over TLS, verified and with SNI as proxied
 * requests are; a group that speaks HTTP/2 to its servers is probed over HTTP/2. Each server's probes always run on the same loop, so its rise/fall counters are plain
 * fields. A server starts healthy (it receives traffic at once, as with HAProxy); {@code fall} failed
 * probes in a row mark it down, {@code rise} passed probes in a row bring it back. The listener hears the
 * verdict of the first probe and every change after it; changes are logged once, when they happen.
 *
 * <p>The set of servers may change while the checker runs (a host name resolved to other addresses): a
 * server in both sets keeps its probes and counters, a new one starts healthy, a removed one stops.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    /** Hears a server's health verdicts; called on that server's check loop. */
    @FunctionalInterface
    public interface Listener {
        void verdict(UpstreamConfig.Server server, boolean healthy);
    }

    private final UpstreamConfig upstream;
    private final BalancingConfig.HealthCheck config;
    private final EventLoopGroup loops;
    private final Class<? extends SocketChannel> channelClass;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private final Listener listener;
    private final SslContext ssl;
    /** Probes speak what the group speaks: HTTP/2 (h2 by ALPN, h2c with prior knowledge) or HTTP/1.1. */
    private final boolean http2;
    private final Map<String, ServerCheck> checks = new HashMap<>();
    private boolean closed;

    public HealthChecker(UpstreamConfig upstream, EventLoopGroup loops, Class<? extends SocketChannel> channelClass,
                         AddressResolverGroup<InetSocketAddress> resolver, Listener listener) {
        this.upstream = upstream;
        this.config = upstream.balancing().healthCheck();
        this.loops = loops;
        this.channelClass = channelClass;
        this.resolver = resolver;
        this.listener = listener;
        this.http2 = upstream.protocol() != UpstreamConfig.Protocol.HTTP1;
        boolean anyTls = upstream.servers().stream().anyMatch(UpstreamConfig.Server::tls);
        this.ssl = anyTls ? UpstreamClientContexts.context(upstream.tls(), http2) : null;
    }

    /**
     * Probes exactly {@code servers} from now on: servers not checked yet get their first probe within one
     * interval, servers no longer listed stop being probed. Called when the group's server set changes,
     * from any thread (rarely: never on the request path).
     */
    public synchronized void check(List<UpstreamConfig.Server> servers) {
        if (closed) {
            return;
        }
        Map<String, ServerCheck> kept = new HashMap<>();
        for (UpstreamConfig.Server server : servers) {
            ServerCheck check = checks.remove(server.name());
            if (check == null) {
                check = newCheck(server);
                check.start();
            }
            kept.put(server.name(), check);
        }
        for (ServerCheck removed : checks.values()) {
            removed.stop();
        }
        checks.clear();
        checks.putAll(kept);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (ServerCheck check : checks.values()) {
            check.stop();
        }
        checks.clear();
    }

    private ServerCheck newCheck(UpstreamConfig.Server server) {
        EventLoop loop = loops.next();
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(channelClass).resolver(resolver);
        String name = upstream.name() + " server " + server.name();
        String sni = upstream.tls().sni() != null ? upstream.tls().sni() : server.address().host();
        return new ServerCheck(server, name, address(server), bootstrap, loop, config, listener, log,
                server.tls() ? ssl : null, sni, http2);
    }

    private static InetSocketAddress address(UpstreamConfig.Server server) {
        String host = server.connectHost();
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal == null) {
            return InetSocketAddress.createUnresolved(host, server.address().port());
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(literal), server.address().port());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
