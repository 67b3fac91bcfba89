package io.sluice.routing;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.LocationConfig;
import io.sluice.config.ProxyConfig;
import io.sluice.config.ReturnConfig;
import io.sluice.config.StaticConfig;
import io.sluice.http.ErrorResponses;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;
import io.sluice.staticfiles.StaticFileHandler;

/** Turns each location's configured action into the handler that serves it. */
public final class HandlerFactory {
    private final BlockingPool blockingPool;

    public HandlerFactory(BlockingPool blockingPool) {
        this.blockingPool = blockingPool;
    }

    public ExchangeHandler create(LocationConfig location) {
        if (location.action() instanceof ReturnConfig config) {
            return new ReturnHandler(config);
        }
        if (location.action() instanceof StaticConfig config) {
            return new StaticFileHandler(location, config, blockingPool);
        }
        if (location.action() instanceof ProxyConfig) {
            return exchange -> {
                exchange.writeAndFlush(ErrorResponses.of(exchange.channel().alloc(), HttpResponseStatus.NOT_IMPLEMENTED, false));
                return ExchangeListener.IGNORE_BODY;
            };
        }
        throw new IllegalArgumentException("unknown action " + location.action());
    }
}
