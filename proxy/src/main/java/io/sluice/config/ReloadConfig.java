package io.sluice.config;

import java.time.Duration;

/** Opt-in reload when the configuration file changes, checked every {@code watch-interval}. */
public record ReloadConfig(boolean watch, Duration watchInterval) {

    static ReloadConfig read(ConfigNode node) {
        boolean watch = node.bool("watch", false);
        Duration interval = ConfigChecks.positive(node, "watch-interval", Duration.ofSeconds(2));
        node.finish();
        return new ReloadConfig(watch, interval);
    }
}
