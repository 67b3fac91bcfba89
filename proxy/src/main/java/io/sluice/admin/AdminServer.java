package io.sluice.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.sluice.config.AdminConfig;
import io.sluice.server.SluiceServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener: health, readiness, metrics, the status page, reload, log reopening and route
 * explanations. A small separate server on its own single thread, so it answers while the worker loops
 * are busy and does not share their limits; it has its own (AdminChannels, AdminRequestDeadline). Requests are
 * tiny and aggregated (admin only; 64 KiB cap).
 * Slow work (reload) runs on a dedicated thread, never on the admin loop.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ExecutorService slowWork = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-admin-work");
        thread.setDaemon(true);
        return thread;
    });
    private final StatusHistory history;
    private final Channel channel;

    private AdminServer(SluiceServer server, AdminConfig config) throws InterruptedException {
        this.history = new StatusHistory(server);
        AdminHandler handler = new AdminHandler(server, history, slowWork);
        try {
            this.channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new AdminChannels(config, handler))
                    .bind(config.listen().host(), config.listen().port()).sync().channel();
        } catch (Exception e) {
            // sync() rethrows a failed bind's checked BindException; the loop group must not outlive it
            close();
            throw e;
        }
        log.info("admin listener on {} (/healthz /readyz /metrics /status /explain, POST /reload /reopen-logs)",
                channel.localAddress());
    }

    /** Starts the admin listener of {@code server}'s configuration, or returns {@code null} when it is off. */
    public static AdminServer start(SluiceServer server) {
        AdminConfig config = server.config().admin();
        if (!config.enabled()) {
            return null;
        }
        try {
            return new AdminServer(server, config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the admin listener", e);
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        history.close();
        slowWork.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
