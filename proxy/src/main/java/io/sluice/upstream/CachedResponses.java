package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.sluice.cache.CacheStats;
import io.sluice.cache.CachedResponse;
import io.sluice.http.Exchange;

import java.util.Arrays;
import java.util.Date;

/** Writing stored responses to clients, and the request heads the cache sends upstream. */
final class CachedResponses {
    private static final CharSequence[] CONDITIONALS = {HttpHeaderNames.IF_NONE_MATCH, HttpHeaderNames.IF_MODIFIED_SINCE,
            HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_UNMODIFIED_SINCE, HttpHeaderNames.IF_RANGE, HttpHeaderNames.RANGE};

    private CachedResponses() {
    }

    private static final AsciiString[] X_CACHE_VALUES = Arrays.stream(CacheStats.Result.values())
            .map(result -> AsciiString.cached(result.name())).toArray(AsciiString[]::new);

    /**
     * Writes a stored response as the whole answer: {@code body} (owned, released by the write) is a
     * duplicate of the stored bytes, or empty for HEAD; the stored fields carry the stored body's
     * {@code Content-Length}. A client whose own validators match gets a 304.
     */
    static void write(Exchange exchange, CachedResponse entry, ByteBuf body, long nowMillis, CacheStats.Result result) {
        HttpHeaders stored = entry.headers();
        HttpHeaders headers = stored.copy();
        headers.set(HttpHeaderNames.AGE, AsciiString.of(Long.toString(entry.ageSeconds(nowMillis))));
        headers.set(CachingHandler.X_CACHE, X_CACHE_VALUES[result.ordinal()]);
        HttpHeaders request = exchange.request().headers();
        if (entry.status().code() == 200 && (request.contains(HttpHeaderNames.IF_NONE_MATCH)
                || request.contains(HttpHeaderNames.IF_MODIFIED_SINCE)) && notModified(request, stored)) {
            body.release();
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            exchange.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED,
                    Unpooled.EMPTY_BUFFER, headers, EmptyHttpHeaders.INSTANCE));
            return;
        }
        exchange.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, entry.status(), body, headers,
                EmptyHttpHeaders.INSTANCE));
    }

    /** RFC 9110 §13.1.1/§13.1.3: If-None-Match (weak comparison) wins; If-Modified-Since only without it. */
    static boolean notModified(HttpHeaders request, HttpHeaders stored) {
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            String etag = stored.get(HttpHeaderNames.ETAG);
            if (etag == null) {
                return false;
            }
            String opaque = weak(etag.trim());
            for (String candidate : ifNoneMatch.split(",")) {
                String trimmed = candidate.trim();
                if (trimmed.equals("*") || weak(trimmed).equals(opaque)) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        String lastModified = stored.get(HttpHeaderNames.LAST_MODIFIED);
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(lastModified);
        return since != null && modified != null && !modified.after(since);
    }

    private static String weak(String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }

    /**
     * The request head to send upstream for a response the cache wants whole: the client's conditionals
     * and {@code Range} removed (the cache answers those itself), and the stored entry's validators added
     * when {@code revalidating} is not null. The client's head is passed on untouched when nothing changes.
     */
    static HttpRequest upstreamRequest(HttpRequest client, HttpMethod method, CachedResponse revalidating) {
        HttpHeaders headers = client.headers();
        boolean conditional = false;
        for (CharSequence name : CONDITIONALS) {
            conditional |= headers.contains(name);
        }
        if (!conditional && revalidating == null && method.equals(client.method())) {
            return client;
        }
        HttpHeaders copy = headers.copy();
        for (CharSequence name : CONDITIONALS) {
            copy.remove(name);
        }
        if (revalidating != null) {
            String etag = revalidating.etag();
            if (etag != null) {
                copy.set(HttpHeaderNames.IF_NONE_MATCH, etag);
            }
            String lastModified = revalidating.lastModified();
            if (lastModified != null) {
                copy.set(HttpHeaderNames.IF_MODIFIED_SINCE, lastModified);
            }
        }
        return new DefaultHttpRequest(client.protocolVersion(), method, client.uri(), copy);
    }
}
