package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.sluice.config.CompressionConfig;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A location's compression rules: which responses have a compressed representation at all (and so vary
 * with {@code Accept-Encoding}), and which coding a request gets. Immutable, shared by every event loop.
 */
final class ResponseCompression {
    private static final AsciiString NO_TRANSFORM = AsciiString.cached("no-transform");

    private final CompressionConfig config;
    private final Set<ContentCoding> offered;
    private final Set<String> exactTypes = new HashSet<>();
    private final Set<String> wholeTypes = new HashSet<>();

    ResponseCompression(CompressionConfig config) {
        this.config = config;
        this.offered = CodingSupport.offered(config);
        for (String type : config.types()) {
            if (type.endsWith("/*")) {
                wholeTypes.add(type.substring(0, type.length() - 1));
            } else {
                exactTypes.add(type);
            }
        }
    }

    boolean active() {
        return !offered.isEmpty();
    }

    /**
     * True when {@code response} is one Sluice would compress for a client that accepts it: a final status
     * with a body that may be transformed (not 204/206/304, no {@code Content-Encoding}, no
     * {@code Content-Range}, no {@code Cache-Control: no-transform}), of a listed type, and not known to
     * be shorter than {@code min-length}.
     */
    boolean compressible(HttpRequest request, HttpResponse response) {
        int code = response.status().code();
        if (code < 200 || code == 204 || code == 206 || code == 304) {
            return false;
        }
        HttpHeaders headers = response.headers();
        if (headers.contains(HttpHeaderNames.CONTENT_ENCODING) || headers.contains(HttpHeaderNames.CONTENT_RANGE)
                || headers.containsValue(HttpHeaderNames.CACHE_CONTROL, NO_TRANSFORM, true)) {
            return false;
        }
        if (!listedType(headers.get(HttpHeaderNames.CONTENT_TYPE))) {
            return false;
        }
        long length = response instanceof FullHttpResponse full && !HttpMethod.HEAD.equals(request.method())
                ? full.content().readableBytes() : HttpUtil.getContentLength(response, -1L);
        return length < 0 || length >= config.minLength();
    }

    /**
     * The coding for this request's response, or {@code null} for none: HTTP/1.0 clients get none (as with
     * nginx's {@code gzip_http_version 1.1}), since without chunked coding the connection would have to
     * close after every compressed response.
     */
    ContentCoding coding(HttpRequest request) {
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            return null;
        }
        List<String> acceptEncoding = request.headers().getAll(HttpHeaderNames.ACCEPT_ENCODING);
        return acceptEncoding.isEmpty() ? null : AcceptedCoding.choose(String.join(",", acceptEncoding), offered);
    }

    BodyEncoder newEncoder(ContentCoding coding, Channel parent) {
        return new BodyEncoder(coding, config, parent);
    }

    private boolean listedType(String contentType) {
        if (contentType == null) {
            return false;
        }
        int end = contentType.indexOf(';');
        String type = (end < 0 ? contentType : contentType.substring(0, end)).trim().toLowerCase(Locale.ROOT);
        int slash = type.indexOf('/');
        return slash > 0 && (exactTypes.contains(type) || wholeTypes.contains(type.substring(0, slash + 1)));
    }

    /** The coding's headers on a head whose body is compressed; the length is unknown until the end. */
    static void markEncoded(HttpHeaders headers, ContentCoding coding) {
        headers.set(HttpHeaderNames.CONTENT_ENCODING, coding.token());
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        // byte ranges would refer to the identity body, which is not what this response carries
        headers.remove(HttpHeaderNames.ACCEPT_RANGES);
        String etag = headers.get(HttpHeaderNames.ETAG);
        if (etag != null && etag.startsWith("\"")) {
            // a strong tag promises byte-identical bodies; the compressed one differs from the identity
            headers.set(HttpHeaderNames.ETAG, "W/" + etag);
        }
    }

    /**
     * A 304 whose strong tag the client sent back weak ({@code If-None-Match: W/"x"} for {@code "x"}) is
     * answering for a compressed response, whose tag Sluice weakened: it gets the weak tag back, so that
     * the client refreshes the stored compressed response rather than treat the tags as different.
     */
    static void keepWeakenedTag(HttpRequest request, HttpResponse notModified) {
        String etag = notModified.headers().get(HttpHeaderNames.ETAG);
        String ifNoneMatch = request.headers().get(HttpHeaderNames.IF_NONE_MATCH);
        if (etag != null && etag.startsWith("\"") && ifNoneMatch != null && ifNoneMatch.contains("W/" + etag)) {
            notModified.headers().set(HttpHeaderNames.ETAG, "W/" + etag);
        }
    }

    /** Adds {@code Accept-Encoding} to {@code Vary}, keeping what is there. */
    static void varyOnAcceptEncoding(HttpHeaders headers) {
        List<String> values = headers.getAll(HttpHeaderNames.VARY);
        StringBuilder merged = new StringBuilder();
        for (String value : values) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (name.equals("*") || name.equalsIgnoreCase("accept-encoding")) {
                    return;
                }
                if (!name.isEmpty()) {
                    merged.append(name).append(", ");
                }
            }
        }
        headers.set(HttpHeaderNames.VARY, merged.append("Accept-Encoding").toString());
    }
}
