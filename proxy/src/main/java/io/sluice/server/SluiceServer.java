package io.sluice.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Future;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.balance.ServerView;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.ListenConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.http.ConnectionEvent;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.metrics.UpstreamMetrics;
import io.sluice.routing.ExchangeRecorders;
import io.sluice.cache.ResponseCache;
import io.sluice.routing.HandlerFactory;
import io.sluice.routing.Router;
import io.sluice.tls.TlsContexts;
import io.sluice.upstream.UpstreamStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running Sluice: the worker loops, their listeners, and the current configuration snapshot.
 *
 * <p>On epoll and io_uring every worker loop binds its own listening socket with {@code SO_REUSEPORT}
 * through its own {@link ServerBootstrap} with {@code group(loop, loop)}: the kernel spreads new
 * connections over the sockets and a connection stays on the loop that accepted it, with no acceptor
 * thread and no hand-off (a shared child group would move it with {@code next()}). On NIO one socket
 * accepts and the children are spread round-robin.
 *
 * <p>A {@link #reload} swaps the routing snapshot atomically: each request reads the snapshot once when
 * its head arrives and keeps it, so requests in flight finish on the configuration they started with.
 * Handlers come from one {@link HandlerFactory} for the life of the process, so whatever it keeps across
 * snapshots (upstream pools keyed by server address) survives a reload.
 */
public final class SluiceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    /** The sockets of one listen address (one per loop with reuseport) and the connections they accepted. */
    private record Listener(ListenConfig config, List<Channel> channels, int port) {
    }

    /**
     * How long a reload waits for its certificates to be read on the blocking pool. That takes milliseconds;
     * a pool held by file system calls that do not return could make it take for ever, and the reload holds
     * this server's lock while it waits: later reloads and the drain on SIGTERM would wait behind it.
     */
    private static final Duration STAGING_WAIT = Duration.ofSeconds(5);

    private final AtomicReference<Router> router = new AtomicReference<>();
    private final Transports transports;
    private final MultiThreadIoEventLoopGroup workers;
    private final BlockingPool blockingPool;
    private final LoopStallWatch loopStallWatch;
    private final SluiceMetrics metrics = new SluiceMetrics();
    private final AccessLogWriter accessLogWriter;
    private final HandlerFactory handlers;
    private final ExchangeRecorders recorders;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private final OpenConnections connections;
    private final long openFileLimit = OpenFileLimit.read();
    private final Http3Listeners http3;
    private final TlsContexts tls;
    private final Path configFile;
    private final Instant startedAt = Instant.now();
    private volatile Instant loadedAt = startedAt;
    private volatile List<String> lastReloadProblems = List.of();
    private volatile Instant lastReloadFailedAt;
    private volatile boolean stopping;
    private volatile ConfigWatcher watcher;
    /** The start's TLS rehearsal while it may still run: {@link #close} waits for it before releasing contexts. */
    private volatile Future<?> tlsRehearsal;

    private SluiceServer(SluiceConfig config, Path configFile, AccessLogWriter accessLogWriter) {
        this.configFile = configFile;
        this.transports = Transports.select(config.transport());
        this.workers = transports.newGroup(config.workers(), "sluice-worker");
        this.loopStallWatch = LoopStallWatch.start(workers, config.loopStallWarning());
        this.blockingPool = new BlockingPool(config.blockingPool());
        this.accessLogWriter = accessLogWriter;
        this.connections = new OpenConnections(config.limits().maxConnections(), config.limits().maxConnectionsPerIp());
        this.http3 = new Http3Listeners(Http3Listeners::nativeUnavailability, transports, workers, connections,
                router::get, metrics);
        this.handlers = new HandlerFactory(blockingPool, workers, transports.clientChannelClass(),
                transports.datagramChannelClass(), metrics);
        this.recorders = new ExchangeRecorders(metrics, accessLogWriter);
        this.router.set(Router.compile(config, location -> handlers.create(location, config), recorders));
        metrics.gauge("sluice_blocking_pool_queue_depth", "Tasks waiting for a blocking-pool thread", blockingPool::queueDepth);
        metrics.gauge("sluice_blocking_pool_active_threads", "Blocking-pool threads running a task", blockingPool::activeThreads);
        metrics.counter("sluice_blocking_pool_rejected", "Tasks refused because the blocking-pool queue was full",
                blockingPool::rejectedTasks);
        metrics.counter("sluice_access_log_dropped", "Access log lines dropped because the writer queue was full",
                accessLogWriter::dropped);
        metrics.gauge("sluice_connections_open", "Open client connections, all listeners", connections::active);
        metrics.gauges("sluice_event_loop_lag_seconds", "Largest delay of an event loop's 100 ms beat in about the last"
                + " 10 s, a stall in progress included", "loop", loopStallWatch::lagSeconds);
        metrics.counter("sluice_event_loop_stalls", "Event loops that did not run their tasks for longer than"
                + " loop-stall-warning", loopStallWatch::stalls);
        metrics.configLoaded(config.hash(), false);
        registerUpstreams(config);
        this.tls = startTls(config);
        metrics.gauge("sluice_tls_ocsp_stapled_certificates", "TLS certificates with a valid OCSP response to staple",
                tls::stapledCertificates);
        tls.onInstall(http3::reloadCertificates);
    }

    /**
     * Certificates and keys are read and checked here, before any listener binds: a bad one stops the start.
     * Their contexts are built by {@link #start} once the listeners are bound.
     */
    private TlsContexts startTls(SluiceConfig config) {
        try {
            return TlsContexts.check(config, blockingPool, workers);
        } catch (RuntimeException e) {
            loopStallWatch.close();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            blockingPool.close();
            throw e;
        }
    }

    /** Starts from a configuration that was not read from a file (tests, the embedded default): no reload. */
    public static SluiceServer start(SluiceConfig config) throws InterruptedException {
        return start(config, null, new AccessLogWriter());
    }

    /**
     * Starts worker loops and binds every listen address; on a bind failure everything is released.
     * {@code configFile} is what {@link #reload()} reads again; {@code accessLogWriter} is closed with the server.
     *
     * <p>The TLS contexts are built after the binds (most of a TLS start's CPU: the TLS provider's set-up and a
     * context per certificate), so the plain listeners answer meanwhile. A TLS listener is bound with the
     * others but does not accept until its contexts are in place: a client that connects early waits in the
     * listen backlog instead of being refused, and none is accepted that could not be served.
     */
    public static SluiceServer start(SluiceConfig config, Path configFile, AccessLogWriter accessLogWriter)
            throws InterruptedException {
        SluiceServer server = new SluiceServer(config, configFile, accessLogWriter);
        try {
            Map<String, ListenConfig> addresses = addresses(config);
            for (ListenConfig listen : addresses.values()) {
                server.bind(listen, server.tls.selector(listen.address().toString()), config.backlog(), listen.tls());
            }
            server.tls.build();
            server.acceptTls();
            server.http3.bindMissing(config);
            server.http3.advertise(config);
            server.rehearseTls(addresses, config);
        } catch (Exception e) {
            // Exception, not RuntimeException: a failed bind's sync() rethrows the checked BindException
            server.close();
            throw e;
        }
        if (configFile != null && config.reload().watch()) {
            server.watcher = new ConfigWatcher(server, configFile, config.reload().watchInterval());
        }
        log.info("sluice started: {} worker loop(s), transport {}, listening on {}, config {}", config.workers(),
                server.transports.name(), server.boundPorts(), config.hash());
        return server;
    }

    /**
     * Rehearses the TLS listeners ({@link TlsRehearsal}) on the blocking pool, after the binds, whatever the
     * number of cores: the ports open and the first plain requests are answered without waiting for it. Run
     * before the binds on one core, it delayed the ports and the first answer by its whole cost (0.5 to 1 s of
     * wall time on a fresh JVM sharing a busy core); after them it shares that core with the first requests
     * for a moment instead. TLS clients that arrive while it runs are served as they were without it.
     */
    private void rehearseTls(Map<String, ListenConfig> addresses, SluiceConfig config) {
        if (addresses.values().stream().noneMatch(ListenConfig::tls)) {
            // no task at all then: even an empty one would hold a slot of a small blocking pool at start
            return;
        }
        tlsRehearsal = blockingPool.submit(() -> {
            TlsRehearsal.rehearse(addresses.values(), tls::selector, config);
            return null;
        }, ImmediateEventExecutor.INSTANCE);
    }

    /** The TLS listeners bound before their contexts were built start accepting. */
    private synchronized void acceptTls() {
        for (Listener listener : listeners.values()) {
            if (listener.config().tls()) {
                listener.channels().forEach(channel -> channel.config().setAutoRead(true));
            }
        }
    }

    /** The TCP listen addresses of a configuration; HTTP/3 (UDP) ones are {@link Http3Listeners}'. */
    private static Map<String, ListenConfig> addresses(SluiceConfig config) {
        Map<String, ListenConfig> addresses = new LinkedHashMap<>();
        for (ServerConfig server : config.servers()) {
            for (ListenConfig listen : server.listen()) {
                if (listen.http3()) {
                    continue;
                }
                addresses.putIfAbsent(listen.address().toString(), listen);
            }
        }
        return addresses;
    }

    private void registerUpstreams(SluiceConfig config) {
        for (UpstreamConfig upstream : config.upstreams().values()) {
            for (UpstreamConfig.Server server : upstream.servers()) {
                metrics.upstream(upstream.name(), server.name());
            }
        }
    }

    /** {@code held}: bound but not accepting until {@link #acceptTls}. */
    private void bind(ListenConfig listen, Mapping<String, SslContext> certificates, int backlog, boolean held)
            throws InterruptedException {
        String address = listen.address().toString();
        HttpChannelInitializer initializer = new HttpChannelInitializer(listen,
                new ConnectionAdmission(metrics.listener(address), connections), router::get, certificates,
                http3.alternatives());
        int port = listen.address().port();
        List<EventLoop> loops = new ArrayList<>();
        if (transports.reusePort()) {
            for (EventExecutor executor : workers) {
                loops.add((EventLoop) executor);
            }
        } else {
            loops.add(null);
        }
        ChannelFactory<ServerChannel> serverChannels = () -> transports.newServerChannel(listen.address().host());
        List<Channel> channels = new ArrayList<>();
        try {
            for (EventLoop loop : loops) {
                ServerBootstrap bootstrap = new ServerBootstrap()
                        .channelFactory(serverChannels)
                        .option(ChannelOption.SO_BACKLOG, backlog)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        // a TLS listener accepts once its contexts are built: see acceptTls
                        .option(ChannelOption.AUTO_READ, !held)
                        // no TCP_NODELAY child option: Netty sets it on every accepted socket already (outside
                        // Android), and setting it again costs a setsockopt per connection
                        .childHandler(initializer);
                if (loop == null) {
                    bootstrap.group(workers);
                } else {
                    bootstrap.group(loop, loop).option(UnixChannelOption.SO_REUSEPORT, true);
                }
                if (transports.armsReadOnAccept()) {
                    // it turns auto-read off itself: a child option would only set it off again, per connection
                    bootstrap.handler(ReadInterestOnAccept.INSTANCE);
                } else {
                    bootstrap.childOption(ChannelOption.AUTO_READ, false);
                }
                Channel channel = bootstrap.bind(listen.address().host(), port).sync().channel();
                // after the acceptor, which the bootstrap has added by now
                channel.pipeline().addLast(new AcceptFailures(address, openFileLimit, connections::active));
                channels.add(channel);
                // port 0 asks for any free port: the first socket picks it, the others share it
                port = ((InetSocketAddress) channel.localAddress()).getPort();
            }
        } catch (Exception e) {
            // sync() rethrows a failed bind's checked BindException
            channels.forEach(channel -> channel.close().awaitUninterruptibly());
            throw e;
        }
        listeners.put(address, new Listener(listen, List.copyOf(channels), port));
    }

    /** Reads the configuration file again and applies it; see {@link #apply}. Safe to call from any non-loop thread. */
    public synchronized ReloadResult reload() {
        if (configFile == null) {
            return failed(List.of("this instance was not started from a configuration file; there is nothing to reload"));
        }
        SluiceConfig next;
        try {
            next = ConfigLoader.load(configFile);
        } catch (InvalidConfigException e) {
            return failed(e.problems());
        }
        return apply(next);
    }

    /**
     * Swaps in a validated configuration: new requests route with it at once; listen addresses it adds are
     * bound and those it drops stop accepting, their connections closing after their current request. On any
     * failure the running configuration stays in place.
     */
    public synchronized ReloadResult apply(SluiceConfig next) {
        if (stopping) {
            return failed(List.of("shutting down"));
        }
        SluiceConfig previous = config();
        Map<String, ListenConfig> wanted = addresses(next);
        for (Map.Entry<String, ListenConfig> entry : wanted.entrySet()) {
            Listener bound = listeners.get(entry.getKey());
            if (bound != null && !bound.config().equals(entry.getValue())) {
                return failed(List.of("listen address " + entry.getKey()
                        + " changed its tls/http2/proxy-protocol options; that needs a restart"));
            }
        }
        Router nextRouter;
        try {
            nextRouter = Router.compile(next, location -> handlers.create(location, next), recorders);
        } catch (RuntimeException e) {
            log.error("reload: cannot build routes", e);
            return failed(List.of("cannot build routes: " + e.getMessage()));
        }
        Future<TlsContexts.Staged> staging = tls.stage(next);
        TlsContexts.Staged certificates;
        try {
            // read on the blocking pool; this thread is not an event loop and may wait, but not for ever
            certificates = staging.get(STAGING_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the read stays queued (the pool cannot take it back): what it yields is never installed
            staging.addListener(late -> {
                if (late.isSuccess()) {
                    tls.discard(staging.getNow());
                }
            });
            return failed(List.of("certificates not read within " + STAGING_WAIT.toSeconds() + " s: the blocking pool"
                    + " is busy (" + blockingPool.activeThreads() + " threads running, " + blockingPool.queueDepth()
                    + " tasks queued)"));
        } catch (ExecutionException e) {
            return failed(List.of(e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(List.of("interrupted while reading certificates"));
        }
        Router previousRouter = router.getAndSet(nextRouter);
        List<String> added = new ArrayList<>();
        try {
            for (Map.Entry<String, ListenConfig> entry : wanted.entrySet()) {
                if (!listeners.containsKey(entry.getKey())) {
                    bind(entry.getValue(), tls.selector(entry.getKey(), certificates), next.backlog(), false);
                    added.add(entry.getKey());
                }
            }
            added.addAll(http3.bindMissing(next));
        } catch (Exception e) {
            // sync() rethrows a failed bind's checked BindException: the old configuration must stay
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            router.set(previousRouter);
            for (String address : added) {
                closeListener(address);
            }
            tls.discard(certificates);
            return failed(List.of("cannot bind " + e.getMessage()));
        }
        tls.install(certificates);
        List<String> removed = new ArrayList<>();
        for (String address : List.copyOf(listeners.keySet())) {
            if (!wanted.containsKey(address)) {
                closeListener(address);
                removed.add(address);
            }
        }
        removed.addAll(http3.retireRemoved(next));
        http3.advertise(next);
        registerUpstreams(next);
        handlers.upstreams().retain(next.upstreams().keySet());
        List<String> notes = restartOnlyChanges(previous, next);
        if (!added.isEmpty()) {
            notes.add("bound " + added);
        }
        if (!removed.isEmpty()) {
            notes.add("stopped listening on " + removed + "; their connections close after their current request");
        }
        loadedAt = Instant.now();
        lastReloadProblems = List.of();
        metrics.configLoaded(next.hash(), true);
        log.info("reload: configuration {} is now active{}", next.hash(), notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
        return new ReloadResult(true, next.hash(), List.of(), List.copyOf(notes));
    }

    private ReloadResult failed(List<String> problems) {
        lastReloadProblems = List.copyOf(problems);
        lastReloadFailedAt = Instant.now();
        metrics.reloadFailed();
        log.error("reload failed, still running configuration {}:\n  {}", config().hash(), String.join("\n  ", problems));
        return ReloadResult.failure(problems);
    }

    private void closeListener(String address) {
        Listener listener = listeners.remove(address);
        for (Channel channel : listener.channels()) {
            channel.close().awaitUninterruptibly();
        }
        for (Channel connection : connections) {
            // an accepted connection's parent is the listening socket that accepted it
            if (listener.channels().contains(connection.parent())) {
                connection.pipeline().fireUserEventTriggered(ConnectionEvent.DRAIN);
            }
        }
    }

    private static List<String> restartOnlyChanges(SluiceConfig previous, SluiceConfig next) {
        List<String> notes = new ArrayList<>();
        if (!previous.http3().equals(next.http3())) {
            notes.add("http3 changes apply to HTTP/3 listeners bound after a restart");
        }
        if (previous.workers() != next.workers() || previous.transport() != next.transport()) {
            notes.add("workers/transport changes take effect after a restart");
        }
        if (!previous.loopStallWarning().equals(next.loopStallWarning())) {
            notes.add("loop-stall-warning changes take effect after a restart");
        }
        if (!previous.blockingPool().equals(next.blockingPool())) {
            notes.add("blocking-pool changes take effect after a restart");
        }
        if (!Objects.equals(previous.admin(), next.admin())) {
            notes.add("admin changes take effect after a restart");
        }
        if (!previous.reload().equals(next.reload())) {
            notes.add("reload.watch changes take effect after a restart");
        }
        if (previous.limits().maxConnections() != next.limits().maxConnections()) {
            notes.add("limits.max-connections changes take effect after a restart");
        }
        return notes;
    }

    /** The configuration snapshot new requests use. */
    public SluiceConfig config() {
        return router.get().config();
    }

    /** The routing snapshot new requests use. */
    public Router router() {
        return router.get();
    }

    /** The port each listen address is bound to, keyed by the address as configured. */
    public synchronized Map<String, Integer> boundPorts() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        listeners.forEach((address, listener) -> ports.put(address, listener.port()));
        ports.putAll(http3.boundPorts());
        return ports;
    }

    public int port(String configuredAddress) {
        return boundPorts().get(configuredAddress);
    }

    public String transportName() {
        return transports.name();
    }

    public synchronized int listenerCount() {
        return listeners.values().stream().mapToInt(listener -> listener.channels().size()).sum() + http3.socketCount();
    }

    /** Each worker loop's largest beat delay of about the last 10 s, by thread name. */
    public Map<String, Double> loopLagSeconds() {
        return loopStallWatch.lagSeconds();
    }

    /** Event loop stalls longer than {@code loop-stall-warning} since the start. */
    public long loopStalls() {
        return loopStallWatch.stalls();
    }

    public BlockingPool blockingPool() {
        return blockingPool;
    }

    public MultiThreadIoEventLoopGroup workers() {
        return workers;
    }

    /** Upstream pool sizes and connection reuse, for metrics. */
    public List<UpstreamStats> upstreamStats() {
        return handlers.upstreams().stats();
    }

    /** The TLS certificates of every TLS listener. */
    public TlsContexts tls() {
        return tls;
    }

    /** The server {@code upstream}'s balancer would pick now (for /explain), or why none would be. */
    public String previewPick(String upstream, CharSequence hashKey) {
        return handlers.previewPick(upstream, hashKey);
    }

    /** What the balancers see of every upstream server, by upstream name: one read-only view for the admin API. */
    public Map<String, List<ServerView>> upstreamStates() {
        return handlers.balancingView();
    }

    /**
     * Takes {@code server} of {@code upstream} out of service for new requests ({@code drained}) or puts it
     * back, at once on every event loop; requests in flight on it finish. False when there is no such server.
     */
    public boolean drainServer(String upstream, String server, boolean drained) {
        return handlers.drainServer(upstream, server, drained);
    }

    public int activeConnections() {
        return connections.active();
    }

    /** The response cache shared by every caching proxy location. */
    public ResponseCache responseCache() {
        return handlers.responseCache();
    }

    public SluiceMetrics metrics() {
        return metrics;
    }

    public AccessLogWriter accessLogWriter() {
        return accessLogWriter;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** When the running configuration was loaded (start or last successful reload). */
    public Instant loadedAt() {
        return loadedAt;
    }

    /** The problems of the last reload if it failed; empty after a successful one. */
    public List<String> lastReloadProblems() {
        return lastReloadProblems;
    }

    public Instant lastReloadFailedAt() {
        return lastReloadFailedAt;
    }

    public Path configFile() {
        return configFile;
    }

    /** Ready: listeners bound, not shutting down, and healthy upstreams when the configuration requires them. */
    public Readiness readiness() {
        if (stopping) {
            return new Readiness(false, "shutting down: draining connections");
        }
        if (listenerCount() == 0) {
            return new Readiness(false, "no listener is bound");
        }
        SluiceConfig config = config();
        if (config.readiness().requireHealthyUpstreams()) {
            Map<String, List<ServerView>> live = upstreamStates();
            for (UpstreamConfig upstream : config.upstreams().values()) {
                // the live servers (host names resolved) where the group is in use, else the configured ones
                List<ServerView> servers = live.get(upstream.name());
                List<String> names = servers != null ? servers.stream().map(ServerView::server).toList()
                        : upstream.servers().stream().map(UpstreamConfig.Server::name).toList();
                boolean anyHealthy = names.stream().anyMatch(name -> metrics.upstream(upstream.name(), name).health()
                        != UpstreamMetrics.Health.DOWN);
                if (!anyHealthy) {
                    return new Readiness(false, "upstream " + upstream.name() + " has no healthy server");
                }
            }
        }
        return new Readiness(true, "ready");
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
     * Graceful stop: {@code /readyz} turns 503 at once; after {@code drain-delay} (time for load balancers
     * to notice) every listener closes (new connections are refused), requests in flight finish for up to
     * {@code shutdown-timeout} while idle connections close, then whatever remains is closed.
     */
    public void shutdown() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        SluiceConfig config = config();
        if (!config.drainDelay().isZero()) {
            log.info("readiness is now 503; closing listeners in {}", config.drainDelay());
            sleep(config.drainDelay().toMillis());
        }
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        closeListeners();
        // QUIC connections send through the listener's sockets: those stay open until close()
        http3.stopAccepting();
        connections.forEach(channel -> channel.pipeline().fireUserEventTriggered(ConnectionEvent.DRAIN));
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            if (!sleep(20)) {
                break;
            }
        }
        if (!connections.isEmpty()) {
            log.warn("shutdown-timeout reached; closing {} connection(s) with requests in flight", connections.active());
        }
        close();
    }

    private static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * A start that fails after the binds (the admin port taken) closes while the rehearsal may still be using the
     * certificate contexts; releasing them under it made it fail with a reference-count error. It takes well under
     * a second; the bound only keeps a stuck rehearsal from holding the close forever.
     */
    private void awaitTlsRehearsal() {
        Future<?> rehearsal = tlsRehearsal;
        if (rehearsal != null) {
            rehearsal.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    private synchronized void closeListeners() {
        for (Listener listener : listeners.values()) {
            for (Channel channel : listener.channels()) {
                channel.close().awaitUninterruptibly();
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
        if (watcher != null) {
            watcher.close();
        }
        connections.closeAll();
        closeListeners();
        http3.close();
        handlers.upstreams().close();
        loopStallWatch.close();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        handlers.purgeResponseCache();
        awaitTlsRehearsal();
        tls.close();
        blockingPool.close();
        accessLogWriter.close();
    }
}
