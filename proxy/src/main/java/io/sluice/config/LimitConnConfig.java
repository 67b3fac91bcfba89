package io.sluice.config;

import java.util.Set;
import java.util.TreeSet;

/**
 * A location's {@code limit-conn { zone, key, max, status }}: at most {@code max} requests of one key in
 * progress at once (nginx's {@code limit_conn}); one more is refused with {@code status}.
 */
public record LimitConnConfig(String zone, VariableText key, int max, int status) {

    static LimitConnConfig read(ConfigNode node, Set<String> zones) {
        String zone = zone(node, zones);
        VariableText key = VariableText.read(node, "key", "$remote_addr", VariableText.ALL);
        int max = node.integer("max", 0);
        if (max < 1) {
            node.error("max", "required: the requests of one key that may be in progress at once (at least 1)");
            max = 1;
        }
        int status = status(node, 503);
        node.finish();
        return new LimitConnConfig(zone, key, max, status);
    }

    /** The {@code zone} of a limit, which must name an entry of {@code rate-limit-zones}. */
    static String zone(ConfigNode node, Set<String> zones) {
        String zone = node.string("zone", "");
        if (zone.isEmpty()) {
            node.error("zone", "required: the name of an entry of the top-level rate-limit-zones { }");
        } else if (!zones.contains(zone)) {
            node.error("zone", "no zone named \"" + zone + "\" in rate-limit-zones (known: "
                    + (zones.isEmpty() ? "none" : String.join(", ", new TreeSet<>(zones))) + ")");
        }
        return zone;
    }

    /** The status a refused request gets: a client or server error. */
    static int status(ConfigNode node, int fallback) {
        int status = node.integer("status", fallback);
        if (status < 400 || status > 599) {
            node.error("status", "must be between 400 and 599");
            return fallback;
        }
        return status;
    }
}
