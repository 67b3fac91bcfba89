package io.sluice.config;

import java.time.Duration;

/**
 * Request-body limits; server-wide in {@code limits}, overridable per location. {@code minReceiveRate} is
 * in bytes per second, 0 when the rule is off.
 */
public record BodyLimits(long maxBodySize, Duration bodyTimeout, long minReceiveRate) {

    /** Reads a location's {@code limits} block, inheriting what it does not set. */
    static BodyLimits readOverride(ConfigNode node, BodyLimits inherited) {
        long maxBodySize = node.bytes("max-body-size", inherited.maxBodySize());
        if (maxBodySize < 0) {
            node.error("max-body-size", "must not be negative");
        }
        Duration bodyTimeout = ConfigChecks.positive(node, "body-timeout", inherited.bodyTimeout());
        long minReceiveRate = node.bytes("min-receive-rate", inherited.minReceiveRate());
        node.finish();
        return new BodyLimits(Math.max(0, maxBodySize), bodyTimeout, minReceiveRate);
    }
}
