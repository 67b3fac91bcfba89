package io.sluice.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ListenConfig;
import io.sluice.http.ConnectionEvent;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.routing.HandlerFactory;
import io.sluice.routing.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running Sluice: the worker loops, their listeners, and the current configuration snapshot.
 *
 * <p>On epoll and io_uring every worker loop binds its own listening socket with {@code SO_REUSEPORT}
 * through its own {@link ServerBootstrap} with {@code group(loop, loop)}: the kernel spreads new
 * connections over the sockets and a connection stays on the loop that accepted it, with no acceptor
 * thread and no hand-off (a shared child group would move it with {@code next()}). On NIO one socket
 * accepts and the children are spread round-robin.
 */
public final class SluiceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final AtomicReference<Router> router = new AtomicReference<>();
    private final Transports transports;
    private final MultiThreadIoEventLoopGroup workers;
    private final BlockingPool blockingPool;
    private final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private final Map<String, Integer> boundPorts = new LinkedHashMap<>();
    private final ConnectionLimiter limiter;
    private volatile boolean stopping;

    private SluiceServer(SluiceConfig config) {
        this.transports = Transports.select(config.transport());
        this.workers = transports.newGroup(config.workers(), "sluice-worker");
        this.blockingPool = new BlockingPool(config.blockingPool());
        this.limiter = new ConnectionLimiter(config.limits().maxConnections(), config.limits().maxConnectionsPerIp(),
                connections);
        this.router.set(Router.compile(config, new HandlerFactory(blockingPool)::create));
    }

    /** Starts worker loops and binds every listen address; on a bind failure everything is released. */
    public static SluiceServer start(SluiceConfig config) throws InterruptedException {
        SluiceServer server = new SluiceServer(config);
        try {
            server.bindAll(config);
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        log.info("sluice started: {} worker loop(s), transport {}, listening on {}", config.workers(),
                server.transports.name(), server.boundPorts);
        return server;
    }

    private void bindAll(SluiceConfig config) throws InterruptedException {
        Map<String, ListenConfig> addresses = new LinkedHashMap<>();
        for (ServerConfig server : config.servers()) {
            for (ListenConfig listen : server.listen()) {
                addresses.putIfAbsent(listen.address().toString(), listen);
            }
        }
        for (ListenConfig listen : addresses.values()) {
            bind(listen, config.backlog());
        }
    }

    private void bind(ListenConfig listen, int backlog) throws InterruptedException {
        HttpChannelInitializer initializer = new HttpChannelInitializer(listen, limiter, router::get);
        int port = listen.address().port();
        List<EventLoop> loops = new ArrayList<>();
        if (transports.reusePort()) {
            for (EventExecutor executor : workers) {
                loops.add((EventLoop) executor);
            }
        } else {
            loops.add(null);
        }
        for (EventLoop loop : loops) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .channel(transports.serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, backlog)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(initializer);
            if (loop == null) {
                bootstrap.group(workers);
            } else {
                bootstrap.group(loop, loop).option(UnixChannelOption.SO_REUSEPORT, true);
            }
            Channel channel = bootstrap.bind(listen.address().host(), port).sync().channel();
            listeners.add(channel);
            // port 0 asks for any free port: the first socket picks it, the others share it
            port = ((InetSocketAddress) channel.localAddress()).getPort();
        }
        boundPorts.put(listen.address().toString(), port);
    }

    /** The configuration snapshot new requests use. */
    public SluiceConfig config() {
        return router.get().config();
    }

    /** The port each listen address is bound to, keyed by the address as configured. */
    public Map<String, Integer> boundPorts() {
        return Map.copyOf(boundPorts);
    }

    public int port(String configuredAddress) {
        return boundPorts.get(configuredAddress);
    }

    public String transportName() {
        return transports.name();
    }

    public int listenerCount() {
        return listeners.size();
    }

    public BlockingPool blockingPool() {
        return blockingPool;
    }

    public MultiThreadIoEventLoopGroup workers() {
        return workers;
    }

    public int activeConnections() {
        return limiter.active();
    }

    /** Open client connections per worker loop, in loop order; shows how the kernel spreads accepts. */
    public int[] connectionsPerLoop() {
        Map<EventExecutor, Integer> index = new HashMap<>();
        for (EventExecutor executor : workers) {
            index.put(executor, index.size());
        }
        int[] counts = new int[index.size()];
        for (Channel channel : connections) {
            Integer loop = index.get(channel.eventLoop());
            if (loop != null) {
                counts[loop]++;
            }
        }
        return counts;
    }

    /**
     * Graceful stop: close every listener at once (new connections are refused), let requests in flight
     * finish for up to {@code shutdown-timeout} while idle connections close, then close what remains.
     */
    public void shutdown() {
        if (stopping) {
            return;
        }
        stopping = true;
        long deadline = System.nanoTime() + config().shutdownTimeout().toNanos();
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly();
        }
        connections.forEach(channel -> channel.pipeline().fireUserEventTriggered(ConnectionEvent.DRAIN));
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!connections.isEmpty()) {
            log.warn("shutdown-timeout reached; closing {} connection(s) with requests in flight", connections.size());
        }
        close();
    }

    @Override
    public void close() {
        stopping = true;
        connections.close().awaitUninterruptibly();
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        blockingPool.close();
    }
}
