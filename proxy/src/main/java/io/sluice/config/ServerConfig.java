package io.sluice.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A server block: the addresses it listens on, the host names it answers, its locations in order, and its
 * access log (the top-level one unless the block overrides it).
 */
public record ServerConfig(String configPath, List<ListenConfig> listen, List<String> serverNames,
                           List<LocationConfig> locations, AccessLogConfig accessLog) {

    static ServerConfig read(ConfigNode node, LimitsConfig limits, AccessLogConfig defaultAccessLog, Path baseDirectory,
                             Set<String> upstreamNames) {
        List<ListenConfig> listen = new ArrayList<>();
        ConfigValue listenValue = node.raw("listen").orElse(null);
        if (listenValue instanceof ConfigList list) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String elementPath = node.pathOf("listen") + "[" + i + "]";
                ListenConfig entry = ListenConfig.read(list.get(i), elementPath, node);
                if (entry == null) {
                    continue;
                }
                if (!seen.add(entry.address().toString())) {
                    node.problems().add(list.get(i).origin(), elementPath,
                            "duplicate listen address " + entry.address());
                }
                listen.add(entry);
            }
        } else if (listenValue != null) {
            ListenConfig entry = ListenConfig.read(listenValue, node.pathOf("listen"), node);
            if (entry != null) {
                listen.add(entry);
            }
        }
        if (listen.isEmpty() && listenValue == null) {
            node.error("listen", "required, e.g. [ \"0.0.0.0:8080\" ]");
        }
        List<String> names = new ArrayList<>();
        for (String name : node.strings("server-names", List.of())) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.isEmpty() || lower.indexOf('*') > 0 || lower.chars().filter(c -> c == '*').count() > 1
                    || (lower.startsWith("*") && !lower.startsWith("*."))) {
                node.error("server-names", "\"" + name + "\" is not a host name or a \"*.example.com\" wildcard");
            } else {
                names.add(lower);
            }
        }
        List<LocationConfig> locations = new ArrayList<>();
        Set<String> matches = new HashSet<>();
        for (ConfigNode locationNode : node.objects("locations")) {
            LocationConfig location = LocationConfig.read(locationNode, limits.body(), baseDirectory, upstreamNames);
            if (!matches.add(location.match().toString())) {
                locationNode.error("match", "duplicate location \"" + location.match() + "\"");
            }
            locations.add(location);
        }
        if (locations.isEmpty()) {
            node.error("locations", "needs at least one location");
        }
        AccessLogConfig accessLog = node.has("access-log")
                ? AccessLogConfig.read(node.child("access-log"), baseDirectory, defaultAccessLog) : defaultAccessLog;
        node.finish();
        return new ServerConfig(node.path(), List.copyOf(listen), List.copyOf(names), List.copyOf(locations), accessLog);
    }
}
