package io.sluice.upstream;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.http.Exchange;
import io.sluice.http.ForwardingExchange;

/** A request the cache does not handle (method, body, upgrade): proxied as is, marked {@code X-Cache: BYPASS}. */
final class BypassExchange extends ForwardingExchange {
    BypassExchange(Exchange delegate) {
        super(delegate);
    }

    @Override
    public ChannelFuture write(Object message) {
        return delegate.write(mark(message));
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return delegate.writeAndFlush(mark(message));
    }

    private static Object mark(Object message) {
        if (message instanceof HttpResponse response) {
            response.headers().set(CachingHandler.X_CACHE, "BYPASS");
        }
        return message;
    }
}
