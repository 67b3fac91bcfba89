package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.cache.CacheStats;
import io.sluice.cache.CachedResponse;
import io.sluice.cache.Fill;
import io.sluice.cache.ResponseCache;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeListener;

import java.util.concurrent.TimeUnit;

/**
 * One cacheable request, on its connection's loop: a fresh entry is written at once; a stale one within
 * {@code stale-while-revalidate} too, with one background refresh; otherwise the request leads the fill
 * of its key (going upstream, conditionally when the stale entry has validators) or, when another request
 * leads it, waits for that fill up to {@code lock-timeout} and then looks again.
 */
final class CacheRequest implements ExchangeListener {
    private final CachingHandler handler;
    private final Exchange exchange;
    private final String primary;
    private final boolean headRequest;
    private ExchangeListener upstream;
    private TeeExchange tee;
    private ScheduledFuture<?> lockTimer;
    private boolean waiting;
    private boolean aborted;

    CacheRequest(CachingHandler handler, Exchange exchange, String primary, boolean headRequest) {
        this.handler = handler;
        this.exchange = exchange;
        this.primary = primary;
        this.headRequest = headRequest;
    }

    ExchangeListener start() {
        lookup(true);
        return this;
    }

    private void lookup(boolean mayWait) {
        ResponseCache cache = handler.cache();
        CachedResponse entry = cache.lookup(primary, exchange.request().headers());
        long now = handler.now();
        if (entry != null) {
            if (entry.isFresh(now) && serve(entry, CacheStats.Result.HIT, now)) {
                return;
            }
            if (entry.servableWhileRevalidating(now) && serve(entry, CacheStats.Result.STALE, now)) {
                refreshInBackground(entry);
                return;
            }
        }
        String key = entry != null ? entry.key() : cache.variantKey(primary, exchange.request().headers());
        Fill fill = mayWait && !headRequest ? cache.lead(key) : null;
        if (fill == null && mayWait) {
            Fill running = cache.inFlight(key);
            if (running != null && running.await(exchange.channel().eventLoop(), this::woken)) {
                waiting = true;
                lockTimer = exchange.channel().eventLoop().schedule(this::woken, handler.lockTimeoutMillis(),
                        TimeUnit.MILLISECONDS);
                return;
            }
        }
        goUpstream(headRequest ? null : entry, fill);
    }

    /** The awaited fill ended, or {@code lock-timeout} passed: look again, and go upstream without waiting. */
    private void woken() {
        if (!waiting || aborted) {
            return;
        }
        waiting = false;
        lockTimer.cancel(false);
        lookup(false);
    }

    private boolean serve(CachedResponse entry, CacheStats.Result result, long now) {
        ByteBuf body = headRequest ? Unpooled.EMPTY_BUFFER : entry.retainBody();
        if (body == null) {
            return false;
        }
        handler.cache().stats().count(result);
        CachedResponses.write(exchange, entry, body, now, result);
        return true;
    }

    private void goUpstream(CachedResponse stale, Fill fill) {
        ByteBuf staleBody = stale == null ? null : stale.retainBody();
        CachedResponse fallback = staleBody == null ? null : stale;
        HttpRequest request = exchange.request();
        HttpRequest upstreamRequest = headRequest ? request : CachedResponses.upstreamRequest(request, request.method(),
                fallback != null && fallback.hasValidator() ? fallback : null);
        tee = new TeeExchange(exchange, handler, upstreamRequest, primary, fill, fallback, staleBody, !headRequest, true);
        try {
            upstream = handler.inner().start(tee);
        } catch (RuntimeException e) {
            tee.discard();
            throw e;
        }
        tee.upstream(upstream);
    }

    /** One refresh per stale entry, led like any fill so that requests arriving meanwhile do not add more. */
    private void refreshInBackground(CachedResponse entry) {
        if (!entry.claimRefresh()) {
            return;
        }
        Fill fill = handler.cache().lead(entry.key());
        if (fill == null) {
            // another request is fetching the key already; its response replaces the entry
            entry.refreshEnded();
            return;
        }
        ByteBuf staleBody = entry.retainBody();
        if (staleBody == null) {
            handler.cache().finish(fill);
            return;
        }
        HttpRequest request = CachedResponses.upstreamRequest(exchange.request(), HttpMethod.GET,
                entry.hasValidator() ? entry : null);
        TeeExchange refresh = new TeeExchange(new BackgroundExchange(exchange, request), handler, request, primary, fill,
                entry, staleBody, true, false);
        refresh.upstream(handler.inner().start(refresh));
    }

    @Override
    public void onContent(HttpContent content) {
        if (upstream != null) {
            upstream.onContent(content);
        } else {
            content.release();
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (upstream != null) {
            upstream.onWritabilityChanged(writable);
        }
    }

    @Override
    public void onAbort() {
        aborted = true;
        if (lockTimer != null) {
            lockTimer.cancel(false);
        }
        if (upstream != null) {
            upstream.onAbort();
        }
        if (tee != null) {
            tee.discard();
        }
    }
}
