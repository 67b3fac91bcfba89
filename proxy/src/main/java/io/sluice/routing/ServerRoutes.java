package io.sluice.routing;

import io.sluice.config.LocationMatch;
import io.sluice.config.ServerConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The locations of one server block, matched as nginx matches them: an exact ({@code =}) location wins
 * outright; otherwise the longest prefix is remembered, and unless it is a {@code ^~} prefix the regex
 * locations are tried in file order, the first match winning; failing that, the longest prefix serves.
 */
public final class ServerRoutes {
    private final ServerConfig server;
    private final ExchangeRecorder unmatched;
    private final Map<String, Route> exact = new HashMap<>();
    private final PrefixTrie prefixes = new PrefixTrie();
    /** The same prefix routes in precedence order, for explaining a decision (matching uses the trie). */
    private final List<Route> prefixesLongestFirst = new ArrayList<>();
    private final List<Route> regexes = new ArrayList<>();

    ServerRoutes(ServerConfig server, List<Route> routes, ExchangeRecorder unmatched) {
        this.server = server;
        this.unmatched = unmatched;
        for (Route route : routes) {
            LocationMatch match = route.location().match();
            switch (match.kind()) {
                case EXACT -> exact.put(match.value(), route);
                case REGEX -> regexes.add(route);
                default -> {
                    prefixes.add(match.value(), route);
                    prefixesLongestFirst.add(route);
                }
            }
        }
        prefixesLongestFirst.sort(Comparator.comparingInt((Route r) -> r.location().match().value().length()).reversed());
    }

    public ServerConfig server() {
        return server;
    }

    /** Records the exchanges of this server block that no location matched, and rejected requests. */
    ExchangeRecorder unmatched() {
        return unmatched;
    }

    List<Route> exactRoutes() {
        return List.copyOf(exact.values());
    }

    List<Route> prefixesLongestFirst() {
        return prefixesLongestFirst;
    }

    List<Route> regexes() {
        return regexes;
    }

    /** The route for a normalised path, or {@code null} when no location matches. */
    public Route match(String path) {
        Route found = exact.get(path);
        if (found != null) {
            return found;
        }
        Route prefix = prefixes.longestPrefixOf(path);
        if (prefix != null && prefix.location().match().kind() == LocationMatch.Kind.PREFIX_NO_REGEX) {
            return prefix;
        }
        // indexed: this runs per request, and the loop's iterator was seen allocated in profiles
        for (int i = 0; i < regexes.size(); i++) {
            Route route = regexes.get(i);
            if (route.location().match().regex().matcher(path).find()) {
                return route;
            }
        }
        return prefix;
    }
}
