package io.sluice.config;

import java.time.Duration;

/** Per-connection limits of the HTTP front door; see docs/configuration.md for what each answers. */
public record LimitsConfig(int maxInitialLine, int maxHeaderSize, BodyLimits body,
                           Duration headerTimeout, Duration keepaliveTimeout, Duration sendTimeout,
                           int maxConnections, int maxConnectionsPerIp, long minSendRate, Duration lingeringTime) {

    static LimitsConfig read(ConfigNode node) {
        int maxInitialLine = positiveInt(node, "max-initial-line", 8192);
        int maxHeaderSize = positiveInt(node, "max-header-size", 16384);
        long maxBodySize = node.bytes("max-body-size", 10L << 20);
        if (maxBodySize < 0) {
            node.error("max-body-size", "must not be negative");
        }
        Duration headerTimeout = ConfigChecks.positive(node, "header-timeout", Duration.ofSeconds(10));
        Duration bodyTimeout = ConfigChecks.positive(node, "body-timeout", Duration.ofSeconds(60));
        Duration keepaliveTimeout = ConfigChecks.positive(node, "keepalive-timeout", Duration.ofSeconds(75));
        Duration sendTimeout = ConfigChecks.positive(node, "send-timeout", Duration.ofSeconds(60));
        int maxConnections = node.integer("max-connections", 100000);
        if (maxConnections < 1) {
            node.error("max-connections", "must be at least 1");
        }
        int maxConnectionsPerIp = node.integer("max-connections-per-ip", 0);
        if (maxConnectionsPerIp < 0) {
            node.error("max-connections-per-ip", "must not be negative (0 means no per-address limit)");
        }
        long minSendRate = node.bytes("min-send-rate", 0);
        if (minSendRate < 0) {
            node.error("min-send-rate", "must not be negative (0 turns the rule off)");
        }
        long minReceiveRate = node.bytes("min-receive-rate", 0);
        Duration lingeringTime = ConfigChecks.positive(node, "lingering-time", Duration.ofSeconds(30));
        node.finish();
        return new LimitsConfig(maxInitialLine, maxHeaderSize,
                new BodyLimits(Math.max(0, maxBodySize), bodyTimeout, minReceiveRate),
                headerTimeout, keepaliveTimeout, sendTimeout, maxConnections, Math.max(0, maxConnectionsPerIp),
                Math.max(0, minSendRate), lingeringTime);
    }

    private static int positiveInt(ConfigNode node, String key, int fallback) {
        long value = node.bytes(key, fallback);
        if (value < 1 || value > Integer.MAX_VALUE) {
            node.error(key, "must be between 1 and " + Integer.MAX_VALUE + " bytes");
            return fallback;
        }
        return (int) value;
    }
}
