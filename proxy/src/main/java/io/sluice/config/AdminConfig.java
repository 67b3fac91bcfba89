package io.sluice.config;

import io.sluice.util.HostAndPort;

/** The admin listener (health, metrics, status, reload); {@code listen = ""} turns it off. */
public record AdminConfig(HostAndPort listen) {

    static AdminConfig read(ConfigNode node) {
        String text = node.string("listen", "127.0.0.1:9901");
        node.finish();
        if (text.isEmpty() || "off".equals(text)) {
            return new AdminConfig(null);
        }
        try {
            return new AdminConfig(HostAndPort.parse(text));
        } catch (IllegalArgumentException e) {
            node.error("listen", "bad address \"" + text + "\": " + e.getMessage());
            return new AdminConfig(null);
        }
    }

    public boolean enabled() {
        return listen != null;
    }
}
