package io.sluice.config;

import java.time.Duration;

/**
 * The top-level {@code cache { }} block: the one in-memory response cache that every location with
 * {@code proxy { cache = true }} shares. {@code minTtl} is zero when micro-caching of responses without
 * freshness information is off.
 */
public record CacheConfig(long maxSize, long maxObjectSize, Duration minTtl, Duration lockTimeout) {

    public static final CacheConfig DEFAULTS = new CacheConfig(256L << 20, 1L << 20, Duration.ZERO, Duration.ofSeconds(5));

    static CacheConfig read(ConfigNode node) {
        long maxSize = node.bytes("max-size", DEFAULTS.maxSize());
        if (maxSize < 1) {
            node.error("max-size", "must be at least 1 byte");
            maxSize = DEFAULTS.maxSize();
        }
        long maxObjectSize = node.bytes("max-object-size", DEFAULTS.maxObjectSize());
        if (maxObjectSize < 0 || maxObjectSize > Integer.MAX_VALUE) {
            node.error("max-object-size", "must be between 0 and 2g");
            maxObjectSize = DEFAULTS.maxObjectSize();
        }
        // an object larger than the whole cache could never stay: a small max-size bounds it too
        maxObjectSize = Math.min(maxObjectSize, maxSize);
        Duration minTtl = node.duration("min-ttl", Duration.ZERO);
        if (minTtl.isNegative()) {
            node.error("min-ttl", "must not be negative (0 turns micro-caching off)");
            minTtl = Duration.ZERO;
        }
        Duration lockTimeout = ConfigChecks.positive(node, "lock-timeout", DEFAULTS.lockTimeout());
        node.finish();
        return new CacheConfig(maxSize, maxObjectSize, minTtl, lockTimeout);
    }
}
