package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.cache.CacheControl;
import io.sluice.cache.CacheStats;
import io.sluice.cache.CachedResponse;
import io.sluice.cache.Fill;
import io.sluice.cache.Freshness;
import io.sluice.cache.StoredHeaders;
import io.sluice.cache.VaryKeys;
import io.sluice.http.Exchange;
import io.sluice.http.ForwardingExchange;
import io.sluice.http.ExchangeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * The exchange the proxy handler sees on a cache miss or revalidation. It hands the upstream's response
 * on to the client while copying head and body (up to {@code max-object-size}) aside, and stores the copy
 * when the last piece passes and the response may be stored. Revalidating a stale entry, it turns a
 * {@code 304} into the refreshed entry and, within {@code stale-if-error}, a 5xx into the stale entry;
 * neither reaches the client. Whatever the outcome it ends the {@link Fill} it leads exactly once, so
 * collapsed requests never wait past it.
 */
final class TeeExchange extends ForwardingExchange {
    private static final Logger log = LoggerFactory.getLogger(TeeExchange.class);

    private enum Mode { UNDECIDED, FORWARD, STORE, REVALIDATED, STALE_ON_ERROR }

    private final CachingHandler handler;
    private final HttpRequest upstreamRequest;
    private final String primary;
    private final boolean store;
    private final boolean counted;
    private final long requestMillis;
    private final CachedResponse stale;
    private Fill fill;
    private ByteBuf staleBody;
    private ExchangeListener upstream;
    private Mode mode = Mode.UNDECIDED;
    private HttpResponseStatus status;
    private HttpHeaders stored;
    private CacheControl control;
    private Freshness freshness;
    private long expectedLength;
    private ByteBuf body;

    /**
     * @param stale     the stale entry being replaced or revalidated (its validators, if any, are in
     *                  {@code upstreamRequest}), or null; only GET requests have one
     * @param staleBody a retained duplicate of {@code stale}'s body, owned from now on, or null
     * @param store     whether a storable response is stored (false for HEAD)
     * @param counted   whether the outcome counts in the cache statistics (false for background refreshes)
     */
    TeeExchange(Exchange client, CachingHandler handler, HttpRequest upstreamRequest, String primary, Fill fill,
                CachedResponse stale, ByteBuf staleBody, boolean store, boolean counted) {
        super(client);
        this.handler = handler;
        this.upstreamRequest = upstreamRequest;
        this.primary = primary;
        this.fill = fill;
        this.stale = stale;
        this.staleBody = staleBody;
        this.store = store;
        this.counted = counted;
        this.requestMillis = handler.now();
    }

    /** The proxy's listener, told to stop when a background refresh outgrows {@code max-object-size}. */
    void upstream(ExchangeListener listener) {
        this.upstream = listener;
    }

    @Override
    public HttpRequest request() {
        return upstreamRequest;
    }

    @Override
    public ChannelFuture write(Object message) {
        return pass(message, false);
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return pass(message, true);
    }

    @Override
    public void abort(String reason) {
        discard();
        delegate.abort(reason);
    }

    /** The exchange ended without a last piece (client gone, upstream failed mid-body): drop the copy. */
    void discard() {
        releaseBody();
        releaseStale();
        finishFill();
    }

    private ChannelFuture pass(Object message, boolean flush) {
        if (message instanceof HttpResponse head && mode == Mode.UNDECIDED) {
            decide(head);
        }
        if (mode == Mode.REVALIDATED || mode == Mode.STALE_ON_ERROR) {
            boolean last = message instanceof LastHttpContent;
            ReferenceCountUtil.release(message);
            if (last) {
                answerFromStale();
            }
            return channel().newSucceededFuture();
        }
        if (mode == Mode.STORE && message instanceof HttpContent content) {
            copy(content);
        }
        if (message instanceof LastHttpContent last) {
            complete(last);
        }
        return flush ? delegate.writeAndFlush(message) : delegate.write(message);
    }

    private void decide(HttpResponse head) {
        int code = head.status().code();
        long now = handler.now();
        if (stale != null && code == 304) {
            mode = Mode.REVALIDATED;
            refresh(head.headers(), now);
            return;
        }
        if (stale != null && isServerError(code) && stale.servableOnError(now)) {
            mode = Mode.STALE_ON_ERROR;
            return;
        }
        mode = Mode.FORWARD;
        count(CacheStats.Result.MISS);
        HttpHeaders snapshot = store ? head.headers().copy() : null;
        head.headers().set(CachingHandler.X_CACHE, CacheStats.Result.MISS.name());
        releaseStale();
        if (snapshot == null) {
            finishFill();
            return;
        }
        String refusal = refusal(head, snapshot, now);
        if (refusal != null) {
            if (log.isDebugEnabled()) {
                log.debug("not caching {}: {}", primary, refusal);
            }
            finishFill();
            return;
        }
        snapshot.remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING)
                .remove(HttpHeaderNames.AGE).remove(CachingHandler.X_CACHE);
        mode = Mode.STORE;
        status = head.status();
        stored = snapshot;
        int initial = (int) (expectedLength >= 0 ? expectedLength : Math.min(8192, handler.maxObjectSize()));
        body = channel().alloc().directBuffer(initial, (int) handler.maxObjectSize());
    }

    private String refusal(HttpResponse head, HttpHeaders snapshot, long now) {
        // the head, framed for the client, no longer shows it: an orderly close from a server that failed
        // mid-body cannot be told from the end of a whole one
        if (delegate.notes().upstreamBodyEndsWithClose) {
            return "no definite end (the upstream closes its connection to end the body)";
        }
        // without a length the body is whole when its last piece passes: chunked, or an HTTP/2 stream's end
        expectedLength = HttpUtil.getContentLength(head, -1L);
        if (expectedLength > handler.maxObjectSize()) {
            return "larger than max-object-size";
        }
        control = CacheControl.of(snapshot);
        freshness = Freshness.of(snapshot, control, requestMillis, now, handler.minTtlMillis());
        return handler.policy().refusal(head.status().code(), snapshot, control, freshness,
                delegate.request().headers().contains(HttpHeaderNames.AUTHORIZATION));
    }

    private void copy(HttpContent content) {
        ByteBuf piece = content.content();
        int length = piece.readableBytes();
        if (body.readableBytes() + (long) length > handler.maxObjectSize()) {
            // beyond max-object-size the response is streamed as usual, and no longer copied
            mode = Mode.FORWARD;
            releaseBody();
            finishFill();
            if (delegate instanceof BackgroundExchange && upstream != null) {
                upstream.onAbort();
            }
            return;
        }
        body.writeBytes(piece, piece.readerIndex(), length);
    }

    private void complete(LastHttpContent last) {
        if (mode == Mode.STORE) {
            mode = Mode.FORWARD;
            if (last.trailingHeaders().isEmpty() && (expectedLength < 0 || body.readableBytes() == expectedLength)) {
                List<String> vary = VaryKeys.names(stored);
                String key = VaryKeys.variant(primary, vary, delegate.request().headers());
                HttpHeaders fields = StoredHeaders.of(stored, hasContent(status) ? body.readableBytes() : -1);
                handler.cache().put(primary, vary, new CachedResponse(key, status, fields, fitted(body), freshness, control));
                body = null;
            } else {
                releaseBody();
            }
        }
        finishFill();
    }

    /**
     * The body in a buffer of its own size: a chunked body grew its buffer by doubling, and the entry is
     * weighed (and holds memory) by capacity for as long as it stays cached. One copy per store, none per hit.
     */
    private ByteBuf fitted(ByteBuf grown) {
        int length = grown.readableBytes();
        if (grown.capacity() - length <= length / 8) {
            return grown;
        }
        ByteBuf exact = channel().alloc().directBuffer(length, length);
        exact.writeBytes(grown);
        grown.release();
        return exact;
    }

    /** RFC 9111 §4.3.4: the 304's fields replace the stored ones; the body stays; freshness starts over. */
    private void refresh(HttpHeaders notModified, long now) {
        HttpHeaders merged = stale.headers().copy();
        for (Map.Entry<String, String> field : notModified) {
            String name = field.getKey();
            if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.AGE.contentEqualsIgnoreCase(name)) {
                merged.remove(name);
            }
        }
        for (Map.Entry<String, String> field : notModified) {
            String name = field.getKey();
            if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                    && !HttpHeaderNames.AGE.contentEqualsIgnoreCase(name)) {
                merged.add(name, field.getValue());
            }
        }
        control = CacheControl.of(merged);
        freshness = Freshness.of(merged, control, requestMillis, now, handler.minTtlMillis());
        stored = StoredHeaders.of(merged, hasContent(stale.status()) ? stale.bodyLength() : -1);
    }

    private void answerFromStale() {
        long now = handler.now();
        if (mode == Mode.REVALIDATED) {
            CachedResponse refreshed = new CachedResponse(stale.key(), stale.status(), stored, staleBody.retainedDuplicate(),
                    freshness, control);
            handler.cache().put(primary, VaryKeys.names(stored), refreshed);
            count(CacheStats.Result.REVALIDATED);
            CachedResponses.write(delegate, refreshed, body(), now, CacheStats.Result.REVALIDATED);
        } else {
            count(CacheStats.Result.STALE);
            CachedResponses.write(delegate, stale, body(), now, CacheStats.Result.STALE);
        }
        releaseStale();
        finishFill();
    }

    private ByteBuf body() {
        return staleBody.retainedDuplicate();
    }

    private static boolean hasContent(HttpResponseStatus status) {
        return status.code() != 204 && status.code() != 304;
    }

    private static boolean isServerError(int code) {
        return code == 500 || code == 502 || code == 503 || code == 504;
    }

    private void count(CacheStats.Result result) {
        if (counted) {
            handler.cache().stats().count(result);
        }
    }

    private void finishFill() {
        if (fill != null) {
            handler.cache().finish(fill);
            fill = null;
            if (delegate instanceof BackgroundExchange && stale != null) {
                stale.refreshEnded();
            }
        }
    }

    private void releaseBody() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void releaseStale() {
        if (staleBody != null) {
            staleBody.release();
            staleBody = null;
        }
    }
}
