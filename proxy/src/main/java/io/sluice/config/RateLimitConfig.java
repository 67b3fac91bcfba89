package io.sluice.config;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A location's {@code rate-limit { zone, key, rate, burst, nodelay, delay, status }}: requests per key may
 * arrive at {@code rate} on average, with up to {@code burst} more at once. Over that they are refused with
 * {@code status}; within the burst they are served at once ({@code nodelay}) or held back until they
 * conform to the rate, as nginx's {@code limit_req} does, except for the first {@code delay} of them.
 * {@code intervalNanos} is the time one request takes to drain at the rate.
 */
public record RateLimitConfig(String zone, VariableText key, String rate, long intervalNanos, int burst, boolean nodelay,
                              int delay, int status) {
    private static final Pattern RATE = Pattern.compile("(\\d{1,9})\\s*r/(s|m)");

    /** Requests beyond the rate that are served without waiting: all of the burst with {@code nodelay}. */
    public int undelayed() {
        return nodelay ? burst : delay;
    }

    /** How long a key's state matters after its last request: a full burst draining at the rate. */
    public long windowNanos() {
        return (burst + 1L) * intervalNanos;
    }

    static RateLimitConfig read(ConfigNode node, Set<String> zones) {
        String zone = LimitConnConfig.zone(node, zones);
        VariableText key = VariableText.read(node, "key", "$remote_addr", VariableText.ALL);
        String rate = node.string("rate", "");
        long intervalNanos = TimeUnit.SECONDS.toNanos(1);
        Matcher matcher = RATE.matcher(rate.trim());
        if (!matcher.matches() || Long.parseLong(matcher.group(1)) < 1) {
            node.error("rate", rate.isEmpty() ? "required, e.g. 10r/s or 30r/m"
                    : "\"" + rate + "\" is not a rate such as 10r/s or 30r/m (at least 1)");
        } else {
            long unit = "s".equals(matcher.group(2)) ? TimeUnit.SECONDS.toNanos(1) : TimeUnit.MINUTES.toNanos(1);
            intervalNanos = Math.max(1, unit / Long.parseLong(matcher.group(1)));
        }
        int burst = node.integer("burst", 0);
        if (burst < 0 || burst > 1_000_000) {
            node.error("burst", "must be between 0 and 1000000");
            burst = 0;
        }
        boolean nodelay = node.bool("nodelay", false);
        int delay = node.integer("delay", 0);
        if (nodelay && node.has("delay")) {
            node.error("delay", "not with nodelay = true, which serves the whole burst at once");
        } else if (delay < 0 || delay > burst) {
            node.error("delay", "must be between 0 and burst (" + burst + ")");
            delay = 0;
        }
        int status = LimitConnConfig.status(node, 429);
        node.finish();
        return new RateLimitConfig(zone, key, rate.trim(), intervalNanos, burst, nodelay, delay, status);
    }
}
