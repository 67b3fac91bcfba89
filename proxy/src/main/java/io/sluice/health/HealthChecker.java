package io.sluice.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Active health checks of one upstream group: every server is probed with a GET of the check path on an
 * event loop of the worker group, with non-blocking I/O and Netty's asynchronous resolver, off the
 * request path. Each server's probes always run on the same loop, so its rise/fall counters are plain
 * fields. A server starts healthy (it receives traffic at once, as with HAProxy); {@code fall} failed
 * probes in a row mark it down, {@code rise} passed probes in a row bring it back. The listener hears the
 * verdict of the first probe and every change after it; changes are logged once, when they happen.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    /** Hears a server's health verdicts; called on that server's check loop. */
    @FunctionalInterface
    public interface Listener {
        void verdict(int server, boolean healthy);
    }

    private final List<ServerCheck> checks = new ArrayList<>();

    public HealthChecker(UpstreamConfig upstream, EventLoopGroup loops, Class<? extends SocketChannel> channelClass,
                         AddressResolverGroup<InetSocketAddress> resolver, Listener listener) {
        BalancingConfig.HealthCheck config = upstream.balancing().healthCheck();
        List<UpstreamConfig.Server> servers = upstream.servers();
        for (int i = 0; i < servers.size(); i++) {
            UpstreamConfig.Server server = servers.get(i);
            EventLoop loop = loops.next();
            Bootstrap bootstrap = new Bootstrap().group(loop).channel(channelClass).resolver(resolver);
            String name = upstream.name() + " server " + server.address();
            checks.add(new ServerCheck(i, name, server, address(server), bootstrap, loop, config, listener, log));
        }
    }

    /** Schedules the first probe of every server, spread over one interval. */
    public void start() {
        for (ServerCheck check : checks) {
            check.start();
        }
    }

    @Override
    public void close() {
        for (ServerCheck check : checks) {
            check.stop();
        }
    }

    private static InetSocketAddress address(UpstreamConfig.Server server) {
        String host = server.address().host();
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
