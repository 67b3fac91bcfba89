package io.sluice.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Cache-Control} directives of a response that a shared cache acts on (RFC 9111 §5.2.2 and
 * RFC 5861). Delta-seconds are -1 when absent; a malformed value counts as absent, except that a
 * malformed {@code max-age} or {@code s-maxage} makes the response stale (§4.2.1: treat as 0).
 */
public record CacheControl(long maxAge, long sMaxAge, boolean noStore, boolean noCache, boolean isPrivate,
                           boolean isPublic, boolean mustRevalidate, boolean proxyRevalidate,
                           long staleWhileRevalidate, long staleIfError) {

    static final CacheControl NONE = new CacheControl(-1, -1, false, false, false, false, false, false, -1, -1);

    public static CacheControl of(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CACHE_CONTROL)) {
            return NONE;
        }
        long maxAge = -1;
        long sMaxAge = -1;
        boolean noStore = false;
        boolean noCache = false;
        boolean isPrivate = false;
        boolean isPublic = false;
        boolean mustRevalidate = false;
        boolean proxyRevalidate = false;
        long staleWhileRevalidate = -1;
        long staleIfError = -1;
        for (String field : headers.getAll(HttpHeaderNames.CACHE_CONTROL)) {
            for (String directive : splitOutsideQuotes(field)) {
                String trimmed = directive.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                int equals = trimmed.indexOf('=');
                String name = (equals < 0 ? trimmed : trimmed.substring(0, equals)).trim().toLowerCase(Locale.ROOT);
                String value = equals < 0 ? null : unquote(trimmed.substring(equals + 1).trim());
                switch (name) {
                    case "max-age" -> maxAge = deltaSeconds(value, 0);
                    case "s-maxage" -> sMaxAge = deltaSeconds(value, 0);
                    case "no-store" -> noStore = true;
                    case "no-cache" -> noCache = true;
                    case "private" -> isPrivate = true;
                    case "public" -> isPublic = true;
                    case "must-revalidate" -> mustRevalidate = true;
                    case "proxy-revalidate" -> proxyRevalidate = true;
                    case "stale-while-revalidate" -> staleWhileRevalidate = deltaSeconds(value, -1);
                    case "stale-if-error" -> staleIfError = deltaSeconds(value, -1);
                    default -> {
                        // other directives (no-transform, immutable, extensions) do not change what is stored
                    }
                }
            }
        }
        return new CacheControl(maxAge, sMaxAge, noStore, noCache, isPrivate, isPublic, mustRevalidate,
                proxyRevalidate, staleWhileRevalidate, staleIfError);
    }

    /** True when a stale copy must never be served: {@code must-revalidate}, {@code proxy-revalidate}, {@code s-maxage}. */
    public boolean forbidsStale() {
        return mustRevalidate || proxyRevalidate || sMaxAge >= 0;
    }

    private static long deltaSeconds(String value, long malformed) {
        if (value == null || value.isEmpty()) {
            return malformed;
        }
        long seconds = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return malformed;
            }
            // RFC 9111 §1.2.2: a value too large to represent is the greatest positive integer
            seconds = seconds > Integer.MAX_VALUE ? seconds : seconds * 10 + (c - '0');
        }
        return Math.min(seconds, Integer.MAX_VALUE);
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static String[] splitOutsideQuotes(String field) {
        if (field.indexOf('"') < 0) {
            return field.split(",");
        }
        List<String> parts = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                parts.add(field.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(field.substring(start));
        return parts.toArray(String[]::new);
    }
}
