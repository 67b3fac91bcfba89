package io.sluice.routing;

import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.sluice.balance.RoundRobin;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.LocationConfig;
import io.sluice.config.ProxyConfig;
import io.sluice.config.ReturnConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.StaticConfig;
import io.sluice.http.ExchangeHandler;
import io.sluice.staticfiles.StaticFileHandler;
import io.sluice.upstream.ProxyHandler;
import io.sluice.upstream.Upstreams;

/**
 * Turns each location's configured action into the handler that serves it. One factory serves the life
 * of the process, so upstream groups whose configuration a reload leaves unchanged keep their connection
 * pools. Upstream connections use the running transport's channel classes, passed in by the server.
 */
public final class HandlerFactory {
    private final BlockingPool blockingPool;
    private final Upstreams upstreams;

    public HandlerFactory(BlockingPool blockingPool, Class<? extends SocketChannel> socketChannelClass,
                          Class<? extends DatagramChannel> datagramChannelClass) {
        this.blockingPool = blockingPool;
        this.upstreams = new Upstreams(socketChannelClass, datagramChannelClass,
                upstream -> new RoundRobin(upstream.servers())::pick);
    }

    public Upstreams upstreams() {
        return upstreams;
    }

    /** The handler of {@code location}, a location of the configuration {@code snapshot}. */
    public ExchangeHandler create(LocationConfig location, SluiceConfig snapshot) {
        if (location.action() instanceof ReturnConfig config) {
            return new ReturnHandler(config);
        }
        if (location.action() instanceof ProxyConfig config) {
            return new ProxyHandler(config, upstreams.group(snapshot.upstreams().get(config.upstream())));
        }
        if (location.action() instanceof StaticConfig config) {
            return new StaticFileHandler(location, config, blockingPool);
        }
        throw new IllegalArgumentException("unknown action " + location.action());
    }
}
