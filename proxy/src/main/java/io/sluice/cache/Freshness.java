package io.sluice.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Date;

/**
 * How long a stored response is fresh and how old it already was when it arrived (RFC 9111 §4.2), in
 * milliseconds. Times are wall-clock milliseconds; {@code requestMillis} is when the request went
 * upstream and {@code responseMillis} when the response head came back.
 */
public record Freshness(long lifetimeMillis, long initialAgeMillis, long responseMillis) {

    /** No explicit freshness and no micro-caching: the response is not stored. */
    static final long UNKNOWN = -1;

    /**
     * @param minTtlMillis the lifetime of a response without explicit freshness ({@code min-ttl}), 0 when off
     */
    public static Freshness of(HttpHeaders headers, CacheControl control, long requestMillis, long responseMillis,
                               long minTtlMillis) {
        long dateMillis = dateMillis(headers, HttpHeaderNames.DATE, responseMillis);
        return new Freshness(lifetime(headers, control, dateMillis, minTtlMillis),
                initialAge(headers, requestMillis, responseMillis, dateMillis), responseMillis);
    }

    /** §4.2.1: s-maxage, then max-age, then Expires minus Date; else the heuristic (min-ttl) or {@link #UNKNOWN}. */
    static long lifetime(HttpHeaders headers, CacheControl control, long dateMillis, long minTtlMillis) {
        if (control.sMaxAge() >= 0) {
            return control.sMaxAge() * 1000;
        }
        if (control.maxAge() >= 0) {
            return control.maxAge() * 1000;
        }
        String expires = headers.get(HttpHeaderNames.EXPIRES);
        if (expires != null) {
            Date parsed = DateFormatter.parseHttpDate(expires);
            // an invalid Expires, "0" included, means already expired (§5.3)
            return parsed == null ? 0 : Math.max(0, parsed.getTime() - dateMillis);
        }
        return minTtlMillis > 0 ? minTtlMillis : UNKNOWN;
    }

    /** §4.2.3: the corrected initial age, from the {@code Age} field, the {@code Date} field and the round trip. */
    static long initialAge(HttpHeaders headers, long requestMillis, long responseMillis, long dateMillis) {
        long apparentAge = Math.max(0, responseMillis - dateMillis);
        long ageValue = ageSeconds(headers.get(HttpHeaderNames.AGE)) * 1000;
        long responseDelay = Math.max(0, responseMillis - requestMillis);
        return Math.max(apparentAge, ageValue + responseDelay);
    }

    /** The response's age at {@code nowMillis}: §4.2.3's current_age. */
    public long ageMillis(long nowMillis) {
        return initialAgeMillis + Math.max(0, nowMillis - responseMillis);
    }

    public boolean isFresh(long nowMillis) {
        return ageMillis(nowMillis) < lifetimeMillis;
    }

    /** How long past its lifetime the response is at {@code nowMillis}; negative while fresh. */
    public long stalenessMillis(long nowMillis) {
        return ageMillis(nowMillis) - lifetimeMillis;
    }

    static long dateMillis(HttpHeaders headers, CharSequence name, long fallback) {
        String value = headers.get(name);
        if (value == null) {
            return fallback;
        }
        Date parsed = DateFormatter.parseHttpDate(value);
        return parsed == null ? fallback : parsed.getTime();
    }

    private static long ageSeconds(String value) {
        if (value == null) {
            return 0;
        }
        String trimmed = value.trim();
        if (trimmed.isEmpty() || trimmed.length() > 10) {
            return trimmed.isEmpty() ? 0 : Integer.MAX_VALUE;
        }
        for (int i = 0; i < trimmed.length(); i++) {
            if (trimmed.charAt(i) < '0' || trimmed.charAt(i) > '9') {
                return 0;
            }
        }
        return Long.parseLong(trimmed);
    }
}
