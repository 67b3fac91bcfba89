package io.sluice.config;

import java.time.Duration;

/** Small validations shared by the record readers. */
final class ConfigChecks {
    private ConfigChecks() {
    }

    static Duration positive(ConfigNode node, String key, Duration fallback) {
        Duration value = node.duration(key, fallback);
        if (value.isNegative() || value.isZero()) {
            node.error(key, "must be a positive duration such as 10s");
            return fallback;
        }
        return value;
    }

    static String oneOf(ConfigNode node, String key, String fallback, String... allowed) {
        String value = node.string(key, fallback);
        for (String candidate : allowed) {
            if (candidate.equals(value)) {
                return value;
            }
        }
        node.error(key, "must be one of " + String.join(", ", allowed) + " (got \"" + value + "\")");
        return fallback;
    }
}
