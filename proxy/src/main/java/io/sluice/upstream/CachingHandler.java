package io.sluice.upstream;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import io.sluice.cache.CacheStats;
import io.sluice.cache.ResponseCache;
import io.sluice.cache.StorePolicy;
import io.sluice.config.ProxyCacheConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;

import java.util.function.LongSupplier;

/**
 * The response cache in front of a proxy location ({@code proxy { cache = true }}): GET and HEAD requests
 * without a body are answered from the shared {@link ResponseCache} when it holds a fresh entry, and
 * otherwise go to the wrapped handler through a {@link TeeExchange} that stores what comes back. Every
 * response says what happened in {@code X-Cache}.
 */
public final class CachingHandler implements ExchangeHandler {
    static final AsciiString X_CACHE = AsciiString.cached("x-cache");

    private final ExchangeHandler inner;
    private final ResponseCache cache;
    private final ProxyCacheConfig config;
    private final StorePolicy policy;
    private final LongSupplier clock;

    public CachingHandler(ExchangeHandler inner, ResponseCache cache, ProxyCacheConfig config) {
        this(inner, cache, config, System::currentTimeMillis);
    }

    CachingHandler(ExchangeHandler inner, ResponseCache cache, ProxyCacheConfig config, LongSupplier clock) {
        this.inner = inner;
        this.cache = cache;
        this.config = config;
        this.policy = new StorePolicy(config.cacheAuthorized(), config.cacheSetCookie());
        this.clock = clock;
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        HttpRequest request = exchange.request();
        HttpMethod method = request.method();
        boolean head = HttpMethod.HEAD.equals(method);
        if (!(HttpMethod.GET.equals(method) || head && config.head()) || hasBody(request)
                || RequestHeadBuilder.isWebSocketUpgrade(request)) {
            cache.stats().count(CacheStats.Result.BYPASS);
            return inner.start(new BypassExchange(exchange));
        }
        return new CacheRequest(this, exchange, CacheKeys.render(config.key(), exchange), head).start();
    }

    private static boolean hasBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    ExchangeHandler inner() {
        return inner;
    }

    ResponseCache cache() {
        return cache;
    }

    StorePolicy policy() {
        return policy;
    }

    long now() {
        return clock.getAsLong();
    }

    long maxObjectSize() {
        return cache.config().maxObjectSize();
    }

    long minTtlMillis() {
        return cache.config().minTtl().toMillis();
    }

    long lockTimeoutMillis() {
        return cache.config().lockTimeout().toMillis();
    }
}
