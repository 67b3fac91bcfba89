package io.sluice.routing;

import io.sluice.config.ListenConfig;
import io.sluice.config.LocationConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ExchangeHandler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Every route of one configuration snapshot, by listen address. Built once per (re)load, off the request
 * path; immutable afterwards, so every event loop reads it without locks.
 */
public final class Router {
    private final SluiceConfig config;
    private final Map<String, VirtualHosts> byAddress;

    private Router(SluiceConfig config, Map<String, VirtualHosts> byAddress) {
        this.config = config;
        this.byAddress = byAddress;
    }

    public static Router compile(SluiceConfig config, Function<LocationConfig, ExchangeHandler> handlers,
                                 ExchangeRecorders recorders) {
        Map<String, List<ServerRoutes>> servers = new LinkedHashMap<>();
        for (ServerConfig server : config.servers()) {
            List<Route> routes = new ArrayList<>();
            for (LocationConfig location : server.locations()) {
                routes.add(new Route(location, handlers.apply(location), recorders.create(server, location)));
            }
            ServerRoutes serverRoutes = new ServerRoutes(server, routes, recorders.create(server, null));
            for (ListenConfig listen : server.listen()) {
                servers.computeIfAbsent(listen.address().toString(), a -> new ArrayList<>()).add(serverRoutes);
            }
        }
        Map<String, VirtualHosts> byAddress = new HashMap<>();
        servers.forEach((address, list) -> byAddress.put(address, new VirtualHosts(list)));
        return new Router(config, Map.copyOf(byAddress));
    }

    public SluiceConfig config() {
        return config;
    }

    /** The virtual hosts of a listen address as written in the configuration, or {@code null}. */
    public VirtualHosts forAddress(String address) {
        return byAddress.get(address);
    }

    /** The listen addresses this snapshot routes, as written in the configuration. */
    public Set<String> addresses() {
        return byAddress.keySet();
    }
}
