package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.UpstreamConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The idle connections of one event loop to one upstream server, and the factory of new ones on that
 * loop. A plain deque touched only by its loop: no locks, no hand-off. The most recently used connection
 * is taken first (warm, least likely to have been closed by the server); connections idle longer than
 * {@code idle-timeout}, or in excess of {@code max-idle} for a moment, are closed from the other end by a
 * sweep that is scheduled only while some connection idles. For an HTTP/2 group ({@code protocol = h2}
 * or {@code h2c}) it hands out streams on shared connections instead, through {@link Http2Sessions}; the
 * exchange sees the same {@link UpstreamConnection} either way.
 */
final class ConnectionPool {
    private static final Logger log = LoggerFactory.getLogger(ConnectionPool.class);
    private static final long NEVER = Long.MAX_VALUE;
    /** How long connections beyond {@code max-idle} may idle before they are closed. */
    private static final long EXCESS_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final EventLoop loop;
    private final UpstreamServer server;
    private final UpstreamConfig.Keepalive keepalive;
    private final Bootstrap bootstrap;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    private final PoolCounters counters = new PoolCounters();
    /** The multiplexed connections when the group speaks HTTP/2; null for HTTP/1.1. */
    private final Http2Sessions sessions;
    private final long idleTimeoutNanos;
    private final long connectTimeoutNanos;
    private ScheduledFuture<?> sweep;
    private long sweepAt = NEVER;
    private boolean retired;

    ConnectionPool(EventLoop loop, UpstreamServer server, UpstreamConfig config, Class<? extends SocketChannel> channelClass,
                   AddressResolverGroup<InetSocketAddress> resolver) {
        this.loop = loop;
        this.server = server;
        this.keepalive = config.keepalive();
        this.idleTimeoutNanos = keepalive.idleTimeout().toNanos();
        this.connectTimeoutNanos = config.connectTimeout().toNanos();
        this.sessions = config.protocol() == UpstreamConfig.Protocol.HTTP1 ? null : new Http2Sessions(this, config);
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
                        if (sessions == null) {
                            channel.pipeline().addLast(new UpstreamResponseDecoder());
                            channel.pipeline().addLast(new UpstreamConnection(ConnectionPool.this));
                        }
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
     * An idle connection that is still open, taken for one exchange; null when none idles (or the group
     * speaks HTTP/2, whose streams are never pooled): the caller then asks {@link #connect} for a new one.
     * The caller goes on with the connection itself, so the exchange's request path is not compiled again
     * inside a pool method that calls back into it.
     */
    UpstreamConnection takeIdle() {
        if (sessions != null) {
            return null;
        }
        UpstreamConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            counters.idle = idle.size();
            if (connection.channel().isActive()) {
                counters.requests++;
                return connection;
            }
            connection.channel().close();
        }
        return null;
    }

    /**
     * Hands {@code callback} a new connection, connected and, for TLS, handshaken; for HTTP/2 a new stream
     * on a shared connection.
     */
    void connect(ConnectCallback callback) {
        if (sessions != null) {
            sessions.acquire(callback);
            return;
        }
        open().addListener(opened -> {
            if (opened.isSuccess()) {
                connected((Channel) opened.getNow(), callback);
            } else {
                callback.onConnectFailed(opened.cause());
            }
        });
    }

    /**
     * A new connection to the server, connected and, for TLS, handshaken, both within {@code connect-timeout};
     * closed again if that fails.
     */
    Future<Channel> open() {
        counters.opened++;
        long deadline = System.nanoTime() + connectTimeoutNanos;
        Promise<Channel> result = loop.newPromise();
        ChannelFuture connect = bootstrap.connect(server.remoteAddress());
        connect.addListener(future -> {
            if (!future.isSuccess()) {
                result.setFailure(future.cause());
                return;
            }
            Channel channel = connect.channel();
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                result.setSuccess(channel);
                return;
            }
            // a server that accepts and then says nothing would otherwise hold the request for the TLS
            // handler's own handshake timeout, ten seconds, whatever connect-timeout says
            ScheduledFuture<?> handshakeTimer = loop.schedule(() -> {
                if (result.tryFailure(new SslHandshakeTimeoutException("TLS handshake not done within connect-timeout "
                        + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos) + "ms"))) {
                    channel.close();
                }
            }, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            ssl.handshakeFuture().addListener(handshake -> {
                handshakeTimer.cancel(false);
                if (handshake.isSuccess()) {
                    if (!result.trySuccess(channel)) {
                        channel.close();
                    }
                } else {
                    channel.close();
                    result.tryFailure(handshake.cause());
                }
            });
        });
        return result;
    }

    private void connected(Channel channel, ConnectCallback callback) {
        counters.requests++;
        callback.onConnected(channel.pipeline().get(UpstreamConnection.class), false);
    }

    /**
     * Takes back a connection whose last exchange ended cleanly; it idles for reuse unless it has served
     * {@code max-requests}, keep-alive is off ({@code max-idle = 0}) or the server sent more than the response.
     */
    void release(UpstreamConnection connection) {
        connection.detach();
        Channel channel = connection.channel();
        if (sessions != null) {
            // a finished HTTP/2 stream is never reused; its connection stays with the sessions
            channel.close();
            return;
        }
        if (retired || !channel.isActive() || connection.requests() >= keepalive.maxRequests() || keepalive.maxIdle() == 0) {
            channel.close();
            return;
        }
        if (!connection.clean()) {
            log.info("upstream {}: bytes beyond the end of the response, closing the connection", server.display());
            channel.close();
            return;
        }
        long now = System.nanoTime();
        connection.markIdle(now);
        idle.addFirst(connection);
        counters.idle = idle.size();
        long due = idle.size() > keepalive.maxIdle() ? now + EXCESS_GRACE_NANOS : now + idleTimeoutNanos;
        if (due < sweepAt) {
            scheduleSweep(due, now);
        }
    }

    /**
     * The server left its group (its host name no longer resolves to this address): idle connections close
     * now, connections in use close when their exchange ends, and nothing is pooled any more.
     */
    void retire() {
        retired = true;
        UpstreamConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            connection.channel().close();
        }
        counters.idle = 0;
    }

    /** The connection closed; if it was idle it leaves the pool. */
    void closed(UpstreamConnection connection) {
        if (idle.remove(connection)) {
            counters.idle = idle.size();
        }
    }

    private void scheduleSweep(long at, long now) {
        if (sweep != null) {
            sweep.cancel(false);
        }
        sweepAt = at;
        sweep = loop.schedule(this::sweep, Math.max(0, at - now), TimeUnit.NANOSECONDS);
    }

    /**
     * Closes connections idle for {@code idle-timeout}, and connections beyond {@code max-idle} that stayed
     * idle for {@link #EXCESS_GRACE_NANOS}. Trimming the excess only after a grace keeps a steady load from
     * churning connections: when a loop finishes many responses in one pass, its pool briefly holds more
     * idle connections than {@code max-idle}, and the next requests take them back a moment later.
     */
    private void sweep() {
        sweep = null;
        sweepAt = NEVER;
        long now = System.nanoTime();
        UpstreamConnection oldest;
        while ((oldest = idle.peekLast()) != null && (now - oldest.idleSinceNanos() >= idleTimeoutNanos
                || (idle.size() > keepalive.maxIdle() && now - oldest.idleSinceNanos() >= EXCESS_GRACE_NANOS))) {
            idle.pollLast();
            oldest.channel().close();
        }
        counters.idle = idle.size();
        if (oldest != null) {
            long due = idle.size() > keepalive.maxIdle() ? oldest.idleSinceNanos() + EXCESS_GRACE_NANOS
                    : oldest.idleSinceNanos() + idleTimeoutNanos;
            scheduleSweep(due, now);
        }
    }
}
