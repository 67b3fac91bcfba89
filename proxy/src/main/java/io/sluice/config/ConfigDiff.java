package io.sluice.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a reload from one configuration to another would change, one line per change: server blocks
 * (known by their server names, else their listen addresses), their locations (by match) and upstream
 * servers (by upstream and address), each added ({@code +}), removed ({@code -}) or changed ({@code ~});
 * then top-level settings that changed.
 */
public final class ConfigDiff {
    private ConfigDiff() {
    }

    public static List<String> between(SluiceConfig before, SluiceConfig after) {
        List<String> changes = new ArrayList<>();
        Map<String, ServerConfig> oldServers = servers(before);
        Map<String, ServerConfig> newServers = servers(after);
        for (Map.Entry<String, ServerConfig> entry : newServers.entrySet()) {
            ServerConfig old = oldServers.get(entry.getKey());
            if (old == null) {
                changes.add("+ server " + entry.getKey());
            } else {
                serverChanges(entry.getKey(), old, entry.getValue(), changes);
            }
        }
        for (String key : oldServers.keySet()) {
            if (!newServers.containsKey(key)) {
                changes.add("- server " + key);
            }
        }
        Map<String, UpstreamConfig.Server> oldUpstreamServers = upstreamServers(before);
        Map<String, UpstreamConfig.Server> newUpstreamServers = upstreamServers(after);
        newUpstreamServers.forEach((key, server) -> {
            UpstreamConfig.Server old = oldUpstreamServers.get(key);
            if (old == null) {
                changes.add("+ upstream server " + key);
            } else if (!old.equals(server)) {
                changes.add("~ upstream server " + key + " (weight/backup/tls changed)");
            }
        });
        oldUpstreamServers.keySet().stream().filter(key -> !newUpstreamServers.containsKey(key))
                .forEach(key -> changes.add("- upstream server " + key));
        for (UpstreamConfig upstream : after.upstreams().values()) {
            UpstreamConfig old = before.upstreams().get(upstream.name());
            if (old != null && !sameUpstreamSettings(old, upstream)) {
                changes.add("~ upstream " + upstream.name() + " (timeouts/keepalive/retries changed)");
            }
        }
        settingChange("workers", before.workers(), after.workers(), changes);
        settingChange("transport", before.transport(), after.transport(), changes);
        settingChange("limits", before.limits(), after.limits(), changes);
        settingChange("access-log", before.accessLog(), after.accessLog(), changes);
        settingChange("admin", before.admin(), after.admin(), changes);
        settingChange("shutdown-timeout", before.shutdownTimeout(), after.shutdownTimeout(), changes);
        settingChange("drain-delay", before.drainDelay(), after.drainDelay(), changes);
        settingChange("rate-limit-zones", before.rateLimitZones(), after.rateLimitZones(), changes);
        return changes;
    }

    private static void serverChanges(String key, ServerConfig old, ServerConfig server, List<String> changes) {
        if (!old.listen().equals(server.listen())) {
            changes.add("~ server " + key + ": listen " + addresses(old) + " -> " + addresses(server));
        }
        if (!old.serverNames().equals(server.serverNames())) {
            changes.add("~ server " + key + ": server-names " + old.serverNames() + " -> " + server.serverNames());
        }
        if (!Objects.equals(old.accessLog(), server.accessLog())) {
            changes.add("~ server " + key + ": access-log changed");
        }
        Map<String, LocationConfig> oldLocations = locations(old);
        Map<String, LocationConfig> newLocations = locations(server);
        newLocations.forEach((match, location) -> {
            LocationConfig before = oldLocations.get(match);
            if (before == null) {
                changes.add("+ server " + key + " location " + match);
            } else if (!sameLocation(before, location)) {
                String was = describe(before.action());
                String now = describe(location.action());
                changes.add("~ server " + key + " location " + match
                        + (was.equals(now) ? " (" + now + ": settings changed)" : " (" + was + " -> " + now + ")"));
            }
        });
        oldLocations.keySet().stream().filter(match -> !newLocations.containsKey(match))
                .forEach(match -> changes.add("- server " + key + " location " + match));
    }

    private static void settingChange(String key, Object before, Object after, List<String> changes) {
        if (!Objects.equals(before, after)) {
            changes.add("~ " + key + " changed");
        }
    }

    private static Map<String, ServerConfig> servers(SluiceConfig config) {
        Map<String, ServerConfig> servers = new LinkedHashMap<>();
        for (ServerConfig server : config.servers()) {
            String key = server.serverNames().isEmpty() ? "listening on " + addresses(server) : String.join(" ", server.serverNames());
            servers.putIfAbsent(key, server);
        }
        return servers;
    }

    private static List<String> addresses(ServerConfig server) {
        return server.listen().stream().map(listen -> listen.address().toString()).toList();
    }

    private static Map<String, LocationConfig> locations(ServerConfig server) {
        Map<String, LocationConfig> locations = new LinkedHashMap<>();
        for (LocationConfig location : server.locations()) {
            locations.put(location.match().toString(), location);
        }
        return locations;
    }

    private static Map<String, UpstreamConfig.Server> upstreamServers(SluiceConfig config) {
        Map<String, UpstreamConfig.Server> servers = new LinkedHashMap<>();
        for (UpstreamConfig upstream : config.upstreams().values()) {
            for (UpstreamConfig.Server server : upstream.servers()) {
                servers.put(upstream.name() + " " + server.address(), server);
            }
        }
        return servers;
    }

    private static boolean sameUpstreamSettings(UpstreamConfig a, UpstreamConfig b) {
        return a.connectTimeout().equals(b.connectTimeout()) && a.readTimeout().equals(b.readTimeout())
                && a.sendTimeout().equals(b.sendTimeout()) && a.keepalive().equals(b.keepalive()) && a.retries() == b.retries();
    }

    /** Records compare arrays and patterns by identity, so the return body is compared by content here. */
    private static boolean sameLocation(LocationConfig a, LocationConfig b) {
        if (!a.bodyLimits().equals(b.bodyLimits()) || !a.compression().equals(b.compression())
                || !a.requestLimits().equals(b.requestLimits())) {
            return false;
        }
        if (a.action() instanceof ReturnConfig x && b.action() instanceof ReturnConfig y) {
            return x.status() == y.status() && Arrays.equals(x.body(), y.body()) && x.contentType().equals(y.contentType())
                    && Objects.equals(x.location(), y.location());
        }
        return Objects.equals(a.action(), b.action());
    }

    private static String describe(LocationAction action) {
        if (action instanceof ReturnConfig config) {
            return "return " + config.status();
        }
        if (action instanceof StaticConfig config) {
            return "static " + config.root();
        }
        return "proxy " + ((ProxyConfig) action).upstream();
    }
}
