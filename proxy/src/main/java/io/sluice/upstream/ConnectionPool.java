package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.sluice.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The idle connections of one event loop to one upstream server, and the factory of new ones on that
 * loop. A plain deque touched only by its loop: no locks, no hand-off. The most recently used connection
 * is taken first (warm, least likely to have been closed by the server); connections idle longer than
 * {@code idle-timeout} are closed from the other end by a sweep that runs only while some connection idles.
 */
final class ConnectionPool {
    private final EventLoop loop;
    private final UpstreamServer server;
    private final UpstreamConfig.Keepalive keepalive;
    private final Bootstrap bootstrap;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    private final PoolCounters counters = new PoolCounters();
    private final long idleTimeoutNanos;
    private boolean sweepScheduled;

    ConnectionPool(EventLoop loop, UpstreamServer server, UpstreamConfig config, Class<? extends SocketChannel> channelClass,
                   AddressResolverGroup<InetSocketAddress> resolver) {
        this.loop = loop;
        this.server = server;
        this.keepalive = config.keepalive();
        this.idleTimeoutNanos = keepalive.idleTimeout().toNanos();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .resolver(resolver)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (server.ssl() != null) {
                            channel.pipeline().addLast(server.ssl().newHandler(channel.alloc(), server.tlsHost(),
                                    server.remoteAddress().getPort()));
                        }
                        channel.pipeline().addLast(UpstreamCodecs.clientCodec());
                        channel.pipeline().addLast(new UpstreamConnection(ConnectionPool.this));
                    }
                });
    }

    UpstreamServer server() {
        return server;
    }

    PoolCounters counters() {
        return counters;
    }

    /**
     * Hands {@code callback} a connection: an idle one that is still open unless {@code fresh} is asked
     * for, else a new one (connected and, for TLS, handshaken).
     */
    void acquire(boolean fresh, ConnectCallback callback) {
        if (!fresh) {
            UpstreamConnection connection;
            while ((connection = idle.pollFirst()) != null) {
                counters.idle = idle.size();
                if (connection.channel().isActive()) {
                    counters.requests++;
                    callback.onConnected(connection, true);
                    return;
                }
                connection.channel().close();
            }
        }
        counters.opened++;
        ChannelFuture connect = bootstrap.connect(server.remoteAddress());
        connect.addListener(future -> {
            if (!future.isSuccess()) {
                callback.onConnectFailed(future.cause());
                return;
            }
            Channel channel = connect.channel();
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                connected(channel, callback);
            } else {
                ssl.handshakeFuture().addListener(handshake -> {
                    if (handshake.isSuccess()) {
                        connected(channel, callback);
                    } else {
                        channel.close();
                        callback.onConnectFailed(handshake.cause());
                    }
                });
            }
        });
    }

    private void connected(Channel channel, ConnectCallback callback) {
        counters.requests++;
        callback.onConnected(channel.pipeline().get(UpstreamConnection.class), false);
    }

    /**
     * Takes back a connection whose last exchange ended cleanly; it idles for reuse unless it has served
     * {@code max-requests} or the pool already holds {@code max-idle}.
     */
    void release(UpstreamConnection connection) {
        connection.detach();
        Channel channel = connection.channel();
        if (!channel.isActive() || connection.requests() >= keepalive.maxRequests() || idle.size() >= keepalive.maxIdle()) {
            channel.close();
            return;
        }
        connection.markIdle(System.nanoTime());
        idle.addFirst(connection);
        counters.idle = idle.size();
        if (!sweepScheduled) {
            sweepScheduled = true;
            loop.schedule(this::sweep, idleTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The connection closed; if it was idle it leaves the pool. */
    void closed(UpstreamConnection connection) {
        if (idle.remove(connection)) {
            counters.idle = idle.size();
        }
    }

    private void sweep() {
        sweepScheduled = false;
        long now = System.nanoTime();
        UpstreamConnection oldest;
        while ((oldest = idle.peekLast()) != null && now - oldest.idleSinceNanos() >= idleTimeoutNanos) {
            idle.pollLast();
            oldest.channel().close();
        }
        counters.idle = idle.size();
        if (oldest != null) {
            sweepScheduled = true;
            loop.schedule(this::sweep, oldest.idleSinceNanos() + idleTimeoutNanos - now, TimeUnit.NANOSECONDS);
        }
    }
}
