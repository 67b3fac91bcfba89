package io.sluice.config;

import java.time.Duration;

/**
 * An entry of the top-level {@code rate-limit-zones { NAME { max-keys, idle-timeout } }}: the shared store
 * of per-key state that locations name in their {@code rate-limit} and {@code limit-conn}. Locations that
 * name one zone share its state, so a client's requests to all of them count together. {@code maxKeys}
 * bounds the keys whose rate state is kept; {@code idleTimeout} is how long a key's state outlives its
 * last request (by default just long enough for the longest burst of the zone's locations to drain).
 */
public record RateLimitZoneConfig(String name, int maxKeys, Duration idleTimeout) {
    static final int DEFAULT_MAX_KEYS = 100_000;

    /** Reads a zone; {@code idleTimeout} is null when left to the locations' rates. */
    static RateLimitZoneConfig read(String name, ConfigNode node) {
        int maxKeys = node.integer("max-keys", DEFAULT_MAX_KEYS);
        if (maxKeys < 1 || maxKeys > 100_000_000) {
            node.error("max-keys", "must be between 1 and 100000000");
            maxKeys = DEFAULT_MAX_KEYS;
        }
        Duration idleTimeout = node.has("idle-timeout") ? ConfigChecks.positive(node, "idle-timeout", Duration.ofMinutes(1))
                : null;
        node.finish();
        return new RateLimitZoneConfig(name, maxKeys, idleTimeout);
    }
}
