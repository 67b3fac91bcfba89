package io.sluice.config;

import java.util.Set;

/** A location's request limits: a {@code rate-limit} and a {@code limit-conn}, each optional (null). */
public record RequestLimits(RateLimitConfig rate, LimitConnConfig conn) {
    public static final RequestLimits NONE = new RequestLimits(null, null);

    public boolean any() {
        return rate != null || conn != null;
    }

    static RequestLimits read(ConfigNode location, Set<String> zones) {
        RateLimitConfig rate = location.has("rate-limit") ? RateLimitConfig.read(location.child("rate-limit"), zones) : null;
        LimitConnConfig conn = location.has("limit-conn") ? LimitConnConfig.read(location.child("limit-conn"), zones) : null;
        return rate == null && conn == null ? NONE : new RequestLimits(rate, conn);
    }
}
