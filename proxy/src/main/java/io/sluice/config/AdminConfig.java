package io.sluice.config;

import io.sluice.util.HostAndPort;

import java.time.Duration;

/**
 * The admin listener (health, metrics, status, reload); {@code listen = ""} turns it off. Its own limits keep a
 * client of a listener exposed for probes from holding connections (and the file descriptors the public
 * listeners share) for ever.
 */
public record AdminConfig(HostAndPort listen, Duration requestTimeout, int maxConnections) {

    static AdminConfig read(ConfigNode node) {
        String text = node.string("listen", "127.0.0.1:9901");
        Duration requestTimeout = ConfigChecks.positive(node, "request-timeout", Duration.ofSeconds(10));
        int maxConnections = node.integer("max-connections", 64);
        if (maxConnections < 1) {
            node.error("max-connections", "must be at least 1");
        }
        node.finish();
        if (text.isEmpty() || "off".equals(text)) {
            return new AdminConfig(null, requestTimeout, maxConnections);
        }
        try {
            return new AdminConfig(HostAndPort.parse(text), requestTimeout, maxConnections);
        } catch (IllegalArgumentException e) {
            node.error("listen", "bad address \"" + text + "\": " + e.getMessage());
            return new AdminConfig(null, requestTimeout, maxConnections);
        }
    }

    public boolean enabled() {
        return listen != null;
    }
}
