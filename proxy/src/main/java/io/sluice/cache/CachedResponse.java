package io.sluice.cache;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One stored response: status, header fields (without framing and hop-by-hop fields), the body in one
 * pooled buffer, and what is needed to judge its freshness. Entries are immutable once stored and shared
 * by every event loop: a hit serves {@link #retainBody()}, a duplicate sharing the bytes, so no body is
 * copied per hit. The cache holds one reference of its own; {@link #release()} drops it when the entry
 * is evicted, replaced or purged, and the buffer goes back to the pool when the last hit written from it
 * has left.
 */
public final class CachedResponse {
    private static final int OVERHEAD = 256;

    private final String key;
    private final HttpResponseStatus status;
    private final HttpHeaders headers;
    private final ByteBuf body;
    private final Freshness freshness;
    private final CacheControl control;
    private final int weight;
    /** The cache's own reference plus hits that are between checking liveness and retaining the buffer. */
    private final AtomicInteger holders = new AtomicInteger(1);
    private final AtomicBoolean refreshing = new AtomicBoolean();

    /** Takes ownership of {@code body}; {@code headers} must not change afterwards. */
    public CachedResponse(String key, HttpResponseStatus status, HttpHeaders headers, ByteBuf body,
                          Freshness freshness, CacheControl control) {
        this.key = key;
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.freshness = freshness;
        this.control = control;
        this.weight = weigh(key, headers, body.capacity());
    }

    static int weigh(String key, HttpHeaders headers, int bodyCapacity) {
        long bytes = OVERHEAD + 2L * key.length() + bodyCapacity;
        for (Map.Entry<String, String> header : headers) {
            bytes += 32 + header.getKey().length() + header.getValue().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    public String key() {
        return key;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** The stored header fields; read-only: copy them for a response. */
    public HttpHeaders headers() {
        return headers;
    }

    public int bodyLength() {
        return body.readableBytes();
    }

    public Freshness freshness() {
        return freshness;
    }

    public CacheControl control() {
        return control;
    }

    /** The bytes this entry accounts for against {@code max-size}: body, fields and bookkeeping. */
    public int weight() {
        return weight;
    }

    public String etag() {
        return headers.get(HttpHeaderNames.ETAG);
    }

    public String lastModified() {
        return headers.get(HttpHeaderNames.LAST_MODIFIED);
    }

    public boolean hasValidator() {
        return StorePolicy.hasValidator(headers);
    }

    /** Fresh: may be served without asking the upstream ({@code no-cache} entries never are). */
    public boolean isFresh(long nowMillis) {
        return !control.noCache() && freshness.isFresh(nowMillis);
    }

    /** Stale, but within {@code stale-while-revalidate}: may be served while a refresh runs. */
    public boolean servableWhileRevalidating(long nowMillis) {
        return !control.noCache() && !control.forbidsStale() && control.staleWhileRevalidate() >= 0
                && freshness.stalenessMillis(nowMillis) < control.staleWhileRevalidate() * 1000;
    }

    /** Stale, but within {@code stale-if-error}: may be served when the upstream fails. */
    public boolean servableOnError(long nowMillis) {
        return !control.forbidsStale() && control.staleIfError() >= 0
                && freshness.stalenessMillis(nowMillis) < control.staleIfError() * 1000;
    }

    /** The entry's age in whole seconds for the {@code Age} field. */
    public long ageSeconds(long nowMillis) {
        return freshness.ageMillis(nowMillis) / 1000;
    }

    /** Claims the one background refresh of this entry; false when one already runs. */
    public boolean claimRefresh() {
        return refreshing.compareAndSet(false, true);
    }

    /** The background refresh ended; if it did not replace the entry, a later request may try again. */
    public void refreshEnded() {
        refreshing.set(false);
    }

    /**
     * A duplicate of the body with its own indexes holding one more reference, or null when the entry was
     * released meanwhile (evicted by another thread between the lookup and now). The caller releases it,
     * normally by writing it.
     */
    public ByteBuf retainBody() {
        int current;
        do {
            current = holders.get();
            if (current == 0) {
                return null;
            }
        } while (!holders.compareAndSet(current, current + 1));
        try {
            return body.retainedDuplicate();
        } finally {
            release();
        }
    }

    /** Drops the cache's reference; the buffer is freed once no hit holds it. */
    public void release() {
        if (holders.decrementAndGet() == 0) {
            body.release();
        }
    }
}
