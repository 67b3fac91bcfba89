package io.sluice.routing;

import io.sluice.config.BalancingConfig;
import io.sluice.config.LimitConnConfig;
import io.sluice.config.ListenConfig;
import io.sluice.config.LocationConfig;
import io.sluice.config.LocationMatch;
import io.sluice.config.ProxyConfig;
import io.sluice.config.RateLimitConfig;
import io.sluice.config.RequestLimits;
import io.sluice.config.RequestVariable;
import io.sluice.config.ReturnConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.StaticConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.config.VariableText;
import io.sluice.http.Authority;
import io.sluice.http.RequestPath;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Answers "which server block and location would take this request, and why" against a routing snapshot,
 * walking the same rules as {@link VirtualHosts} and {@link ServerRoutes} and noting each one tried. The
 * result is plain maps and lists, ready to be written as JSON.
 */
public final class RouteExplainer {
    private RouteExplainer() {
    }

    /** Which server an upstream's balancer would choose now for a request with this hash key. */
    public interface PickPreview {
        String pick(String upstream, CharSequence hashKey);
    }

    /**
     * @param listen the listen address as configured, or {@code null} for the first address whose server
     *               blocks name the host (else the first address of the configuration)
     */
    public static Map<String, Object> explain(Router router, String listen, String method, String hostHeader, String uri,
                                              PickPreview picks) {
        Map<String, Object> result = new LinkedHashMap<>();
        String parsedHost = hostHeader == null ? null : Authority.hostOf(hostHeader);
        String host = parsedHost == null ? "" : parsedHost.toLowerCase(Locale.ROOT);
        String path = RequestPath.normalize(RequestPath.rawPath(uri));
        result.put("request", ordered("method", method, "host", host, "uri", uri, "normalized_path", path));
        if (path == null) {
            result.put("status", 400);
            result.put("decision", "the path is invalid (bad escape or it climbs above /): 400 before routing");
            return result;
        }
        String address = listen != null ? listen : addressFor(router, host);
        VirtualHosts hosts = router.forAddress(address);
        if (hosts == null) {
            result.put("status", null);
            result.put("decision", "no server block listens on " + address + " (listening: " + router.addresses() + ")");
            return result;
        }
        result.put("listen", address);
        ServerRoutes server = hosts.select(host);
        result.put("server", ordered("block", server.server().configPath(), "names", server.server().serverNames(),
                "why", hosts.selectionReason(host)));
        List<Map<String, Object>> tried = new ArrayList<>();
        Route chosen = match(server, path, tried);
        result.put("tried", tried);
        if (chosen == null) {
            result.put("location", null);
            result.put("status", 404);
            result.put("decision", "no location matches: 404");
            return result;
        }
        LocationConfig location = chosen.location();
        result.put("location", ordered("match", location.match().toString(), "block", location.configPath()));
        if (location.requestLimits().any()) {
            result.put("limits", limits(location.requestLimits()));
        }
        result.put("action", action(location, router, picks, path));
        return result;
    }

    private static String addressFor(Router router, String host) {
        String first = null;
        for (ServerConfig server : router.config().servers()) {
            for (ListenConfig listen : server.listen()) {
                String address = listen.address().toString();
                if (first == null) {
                    first = address;
                }
                if (server.serverNames().contains(host) || server.serverNames().stream()
                        .anyMatch(name -> name.startsWith("*.") && host.endsWith(name.substring(1)) && host.length() > name.length() - 1)) {
                    return address;
                }
            }
        }
        return first;
    }

    /** Mirrors {@link ServerRoutes#match}, recording every rule tried. */
    private static Route match(ServerRoutes server, String path, List<Map<String, Object>> tried) {
        for (Route route : server.exactRoutes()) {
            boolean hit = route.location().match().value().equals(path);
            tried.add(rule(route, "exact", hit ? "matches: an exact location wins outright" : "no match"));
            if (hit) {
                return route;
            }
        }
        Route prefix = null;
        for (Route route : server.prefixesLongestFirst()) {
            if (prefix == null && path.startsWith(route.location().match().value())) {
                prefix = route;
                tried.add(rule(route, "prefix", "longest matching prefix, remembered"));
            } else if (prefix != null && path.startsWith(route.location().match().value())) {
                tried.add(rule(route, "prefix", "matches but shorter than " + prefix.location().match()));
            } else {
                tried.add(rule(route, "prefix", "no match"));
            }
        }
        if (prefix != null && prefix.location().match().kind() == LocationMatch.Kind.PREFIX_NO_REGEX) {
            for (Route route : server.regexes()) {
                tried.add(rule(route, "regex", "skipped: the longest prefix is ^~"));
            }
            return prefix;
        }
        Route regexHit = null;
        for (Route route : server.regexes()) {
            if (regexHit != null) {
                tried.add(rule(route, "regex", "not tried: an earlier regex matched"));
            } else if (route.location().match().regex().matcher(path).find()) {
                regexHit = route;
                tried.add(rule(route, "regex", "matches: the first matching regex wins over prefixes"));
            } else {
                tried.add(rule(route, "regex", "no match"));
            }
        }
        return regexHit != null ? regexHit : prefix;
    }

    private static Map<String, Object> rule(Route route, String kind, String result) {
        return ordered("location", route.location().match().toString(), "rule", kind, "result", result);
    }

    private static Map<String, Object> action(LocationConfig location, Router router, PickPreview picks, String path) {
        if (location.action() instanceof ReturnConfig config) {
            return ordered("type", "return", "status", config.status(), "location", config.location());
        }
        if (location.action() instanceof StaticConfig config) {
            return ordered("type", "static", "root", config.root().toString(), "index", config.index());
        }
        ProxyConfig proxy = (ProxyConfig) location.action();
        UpstreamConfig upstream = router.config().upstreams().get(proxy.upstream());
        List<Map<String, Object>> servers = new ArrayList<>();
        for (UpstreamConfig.Server server : upstream.servers()) {
            servers.add(ordered("address", server.address().toString(), "tls", server.tls(), "weight", server.weight(),
                    "backup", server.backup()));
        }
        VariableText hashKey = upstream.balancing().hashKey();
        boolean keyKnown = upstream.balancing().algorithm() != BalancingConfig.Algorithm.HASH
                || hashKey.onlyVariablesOf(RequestVariable.Kind.URI);
        String key = hashKey.onlyVariablesOf(RequestVariable.Kind.URI) ? pathKey(hashKey, path) : null;
        return ordered("type", "proxy", "upstream", proxy.upstream(), "balance",
                upstream.balancing().algorithm().name().toLowerCase(Locale.ROOT).replace('_', '-'), "servers", servers,
                "pick_now", picks.pick(proxy.upstream(), key),
                "pick_note", keyKnown ? "from the live health and load of the servers; round-robin rotates per event loop"
                        : "the hash key of this request is not known here, so this is a keyless (random) pick");
    }

    /** A hash key made of {@code $uri} and literal text, as this path renders it. */
    private static String pathKey(VariableText hashKey, String path) {
        StringBuilder key = new StringBuilder();
        for (VariableText.Part part : hashKey.parts()) {
            key.append(part.variable() == null ? part.literal() : path);
        }
        return key.toString();
    }

    /** The location's request limits as configured; whether this request would pass depends on live state. */
    private static Map<String, Object> limits(RequestLimits limits) {
        Map<String, Object> map = new LinkedHashMap<>();
        RateLimitConfig rate = limits.rate();
        if (rate != null) {
            map.put("rate_limit", ordered("zone", rate.zone(), "key", rate.key().text(), "rate", rate.rate(),
                    "burst", rate.burst(), "nodelay", rate.nodelay(), "delay", rate.delay(), "status", rate.status()));
        }
        LimitConnConfig conn = limits.conn();
        if (conn != null) {
            map.put("limit_conn", ordered("zone", conn.zone(), "key", conn.key().text(), "max", conn.max(),
                    "status", conn.status()));
        }
        return map;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
