package io.sluice.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The server blocks sharing one listen address, chosen by host name: an exact name first, then the
 * longest matching {@code *.example.com} wildcard, then the default server (the first block listing
 * the address). A wildcard matches sub-domains only: {@code *.example.com} does not match
 * {@code example.com}, as in nginx.
 */
public final class VirtualHosts {
    private final ServerRoutes defaultServer;
    private final Map<String, ServerRoutes> exact = new HashMap<>();
    private final List<Map.Entry<String, ServerRoutes>> wildcardsLongestFirst = new ArrayList<>();

    VirtualHosts(List<ServerRoutes> servers) {
        this.defaultServer = servers.get(0);
        for (ServerRoutes server : servers) {
            for (String name : server.server().serverNames()) {
                if (name.startsWith("*.")) {
                    wildcardsLongestFirst.add(Map.entry(name.substring(1), server));
                } else {
                    exact.putIfAbsent(name, server);
                }
            }
        }
        wildcardsLongestFirst.sort(Comparator.comparingInt((Map.Entry<String, ServerRoutes> e) -> e.getKey().length())
                .reversed());
    }

    ServerRoutes defaultServer() {
        return defaultServer;
    }

    /** Why {@link #select} picks what it picks: {@code exact name}, the wildcard, or {@code default server}. */
    String selectionReason(String host) {
        if (exact.containsKey(host)) {
            return "exact server name \"" + host + "\"";
        }
        for (Map.Entry<String, ServerRoutes> wildcard : wildcardsLongestFirst) {
            String suffix = wildcard.getKey();
            if (host.length() > suffix.length() && host.endsWith(suffix)) {
                return "wildcard server name \"*" + suffix + "\" (longest matching wildcard)";
            }
        }
        return "no server name matches \"" + host + "\": default server (the first block listening on the address)";
    }

    /** The server block for a lower-case host name without port. */
    public ServerRoutes select(String host) {
        ServerRoutes found = exact.get(host);
        if (found != null) {
            return found;
        }
        // indexed: this runs per request, and the loop's iterator was seen allocated in profiles
        for (int i = 0; i < wildcardsLongestFirst.size(); i++) {
            Map.Entry<String, ServerRoutes> wildcard = wildcardsLongestFirst.get(i);
            String suffix = wildcard.getKey();
            if (host.length() > suffix.length() && host.endsWith(suffix)) {
                return wildcard.getValue();
            }
        }
        return defaultServer;
    }
}
