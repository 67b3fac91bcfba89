package io.sluice.routing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.sluice.balance.ServerView;
import io.sluice.blocking.BlockingPool;
import io.sluice.cache.CacheStats;
import io.sluice.cache.ResponseCache;
import io.sluice.config.CacheConfig;
import io.sluice.config.LocationConfig;
import io.sluice.config.ProxyConfig;
import io.sluice.config.ReturnConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.StaticConfig;
import io.sluice.http.CompressingHandler;
import io.sluice.http.ExchangeHandler;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.ratelimit.NanoClock;
import io.sluice.staticfiles.StaticFileHandler;
import io.sluice.upstream.CachingHandler;
import io.sluice.upstream.ProxyHandler;
import io.sluice.upstream.Upstreams;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns each location's configured action into the handler that serves it. One factory serves the life
 * of the process, so upstream groups whose configuration a reload leaves unchanged keep their connection
 * pools. Upstream connections use the running transport's channel classes, passed in by the server.
 */
public final class HandlerFactory {
    private final BlockingPool blockingPool;
    private final Upstreams upstreams;
    private final GroupBalancing balancing;
    /** Made by the first caching location (or admin request) that needs it; see {@link #responseCache()}. */
    private volatile ResponseCache responseCache;
    private final RequestLimiters requestLimiters;

    public HandlerFactory(BlockingPool blockingPool, EventLoopGroup workers, Class<? extends SocketChannel> socketChannelClass,
                          Class<? extends DatagramChannel> datagramChannelClass, SluiceMetrics metrics) {
        this.blockingPool = blockingPool;
        this.balancing = new GroupBalancing(workers, socketChannelClass, metrics);
        this.upstreams = new Upstreams(workers, socketChannelClass, datagramChannelClass, balancing);
        this.requestLimiters = new RequestLimiters(metrics, NanoClock.SYSTEM);
        registerCacheMetrics(metrics);
    }

    private void registerCacheMetrics(SluiceMetrics metrics) {
        metrics.gauge("sluice_cache_entries", "Responses in the response cache",
                () -> cacheReading(ResponseCache::entryCount));
        metrics.gauge("sluice_cache_bytes", "Bytes the response cache holds (bodies, fields, bookkeeping)",
                () -> cacheReading(ResponseCache::weightedSize));
        metrics.gauge("sluice_cache_hit_ratio", "Cacheable requests answered from the cache (hit, stale, revalidated)",
                () -> cacheReading(cache -> cache.stats().hitRatio()));
        metrics.counter("sluice_cache_evictions", "Entries the response cache evicted to stay within max-size",
                () -> cacheReading(ResponseCache::evictions));
        for (CacheStats.Result result : CacheStats.Result.values()) {
            metrics.counter("sluice_cache_" + result.name().toLowerCase(Locale.ROOT),
                    "Requests to caching locations answered with X-Cache: " + result.name(),
                    () -> cacheReading(cache -> cache.stats().total(result)));
        }
    }

    /** A metric of the response cache; 0 while no cache exists (nothing was cached yet). */
    private double cacheReading(ToDoubleFunction<ResponseCache> reading) {
        ResponseCache cache = responseCache;
        return cache == null ? 0 : reading.applyAsDouble(cache);
    }

    /**
     * The response cache every {@code proxy { cache = true }} location shares, made on the first call:
     * its Caffeine caches cost some eighty classes at start, which configurations without a caching
     * location never need.
     */
    public ResponseCache responseCache() {
        ResponseCache cache = responseCache;
        if (cache == null) {
            synchronized (this) {
                if (responseCache == null) {
                    responseCache = new ResponseCache(CacheConfig.DEFAULTS);
                }
                cache = responseCache;
            }
        }
        return cache;
    }

    /** Releases what the response cache holds, at shutdown; makes no cache when there is none. */
    public void purgeResponseCache() {
        ResponseCache cache = responseCache;
        if (cache != null) {
            cache.purgeAll();
        }
    }

    public Upstreams upstreams() {
        return upstreams;
    }

    /**
     * The server the balancer of {@code upstream} would pick now for a request with this hash key, as
     * {@code host:port}, or a sentence saying why none would be.
     */
    public String previewPick(String upstream, CharSequence key) {
        return balancing.preview(upstream, key);
    }

    /** The live balancing state of every upstream group in use: health, load, failures, effective weight. */
    public Map<String, List<ServerView>> balancingView() {
        return balancing.view();
    }

    /** See {@link GroupBalancing#drain}. */
    public boolean drainServer(String upstream, String server, boolean drained) {
        return balancing.drain(upstream, server, drained);
    }

    /**
     * The handler of {@code location}, a location of the configuration {@code snapshot}: its action behind
     * its response compression, both behind its request limits (outermost, so a refused request costs
     * nothing else).
     */
    public ExchangeHandler create(LocationConfig location, SluiceConfig snapshot) {
        return requestLimiters.decorate(CompressingHandler.decorate(action(location, snapshot), location.compression()),
                location, snapshot);
    }

    private ExchangeHandler action(LocationConfig location, SluiceConfig snapshot) {
        if (location.action() instanceof ReturnConfig config) {
            return new ReturnHandler(config);
        }
        if (location.action() instanceof ProxyConfig config) {
            ExchangeHandler proxy = new ProxyHandler(config, upstreams.group(snapshot.upstreams().get(config.upstream())));
            if (config.cache().enabled()) {
                ResponseCache cache = responseCache();
                cache.reconfigure(snapshot.cache());
                return new CachingHandler(proxy, cache, config.cache());
            }
            return proxy;
        }
        if (location.action() instanceof StaticConfig config) {
            return new StaticFileHandler(location, config, blockingPool);
        }
        throw new IllegalArgumentException("unknown action " + location.action());
    }
}
