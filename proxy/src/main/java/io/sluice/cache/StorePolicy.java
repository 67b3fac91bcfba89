package io.sluice.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Whether a shared cache may store a response to a GET (RFC 9111 §3): not {@code no-store} or
 * {@code private}, not partial, not {@code Vary: *}, with explicit freshness or a validator to revalidate
 * with (or micro-caching on), not an answer to a request with {@code Authorization} unless the response
 * allows it (§3.5) or the location opted in, and without {@code Set-Cookie} unless the location opted in.
 */
public final class StorePolicy {
    private final boolean cacheAuthorized;
    private final boolean cacheSetCookie;

    public StorePolicy(boolean cacheAuthorized, boolean cacheSetCookie) {
        this.cacheAuthorized = cacheAuthorized;
        this.cacheSetCookie = cacheSetCookie;
    }

    /** Why the response must not be stored, or null when it may be. */
    public String refusal(int status, HttpHeaders response, CacheControl control, Freshness freshness,
                          boolean requestAuthorized) {
        if (status < 200 || status == 206 || status == 304) {
            return "status " + status;
        }
        if (control.noStore()) {
            return "no-store";
        }
        if (control.isPrivate()) {
            return "private";
        }
        if (requestAuthorized && !cacheAuthorized
                && !(control.mustRevalidate() || control.isPublic() || control.sMaxAge() >= 0)) {
            return "request with Authorization";
        }
        if (!cacheSetCookie && response.contains(HttpHeaderNames.SET_COOKIE)) {
            return "Set-Cookie";
        }
        if (response.containsValue(HttpHeaderNames.VARY, "*", true)) {
            return "Vary: *";
        }
        if (!heuristicallyCacheable(status) && !hasExplicitFreshness(response, control) && !control.isPublic()) {
            return "status " + status + " without explicit freshness";
        }
        if (control.noCache()) {
            return hasValidator(response) ? null : "no-cache without a validator";
        }
        if (freshness.lifetimeMillis() == Freshness.UNKNOWN) {
            return "no explicit freshness";
        }
        if (freshness.lifetimeMillis() == 0 && !hasValidator(response)) {
            return "expires at once and has no validator";
        }
        return null;
    }

    static boolean hasValidator(HttpHeaders response) {
        return response.contains(HttpHeaderNames.ETAG) || response.contains(HttpHeaderNames.LAST_MODIFIED);
    }

    private static boolean hasExplicitFreshness(HttpHeaders response, CacheControl control) {
        return control.maxAge() >= 0 || control.sMaxAge() >= 0 || response.contains(HttpHeaderNames.EXPIRES);
    }

    /** RFC 9110 §15.1: the status codes that are cacheable by default. */
    private static boolean heuristicallyCacheable(int status) {
        return switch (status) {
            case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501 -> true;
            default -> false;
        };
    }
}
