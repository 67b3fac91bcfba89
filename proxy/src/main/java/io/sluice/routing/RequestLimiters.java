package io.sluice.routing;

import io.sluice.config.LimitConnConfig;
import io.sluice.config.LocationConfig;
import io.sluice.config.RateLimitConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ExchangeHandler;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.ratelimit.NanoClock;
import io.sluice.ratelimit.RateLimitZone;
import io.sluice.ratelimit.RateLimitZones;
import io.sluice.ratelimit.RequestRate;

import java.util.Map;

/**
 * Puts a location's {@code rate-limit} and {@code limit-conn} in front of its handler, with the zones of
 * the configuration being compiled (kept across reloads, see {@link RateLimitZones}).
 */
final class RequestLimiters {
    private final RateLimitZones zones;
    private final SluiceMetrics metrics;
    private final NanoClock clock;

    RequestLimiters(SluiceMetrics metrics, NanoClock clock) {
        this.metrics = metrics;
        this.clock = clock;
        this.zones = new RateLimitZones(clock);
    }

    ExchangeHandler decorate(ExchangeHandler handler, LocationConfig location, SluiceConfig snapshot) {
        Map<String, RateLimitZone> snapshotZones = zones.of(snapshot);
        if (!location.requestLimits().any()) {
            return handler;
        }
        String server = serverLabel(location, snapshot);
        String where = server + " location \"" + location.match() + "\"";
        RateLimitConfig rate = location.requestLimits().rate();
        LimitConnConfig conn = location.requestLimits().conn();
        LimitedHandler.RateLimit rateLimit = rate == null ? null : new LimitedHandler.RateLimit(rate, RequestRate.of(rate),
                snapshotZones.get(rate.zone()), new RefusalLog(where, "rate-limit " + rate.rate() + " burst "
                + rate.burst() + " (zone " + rate.zone() + ")", rate.status(), clock));
        LimitedHandler.ConnLimit connLimit = conn == null ? null : new LimitedHandler.ConnLimit(conn,
                snapshotZones.get(conn.zone()), new RefusalLog(where, "limit-conn max " + conn.max()
                + " (zone " + conn.zone() + ")", conn.status(), clock));
        return new LimitedHandler(handler, rateLimit, connLimit, metrics.limits(server, location.match().toString(),
                rate == null ? null : rate.zone(), conn == null ? null : conn.zone()));
    }

    private static String serverLabel(LocationConfig location, SluiceConfig snapshot) {
        for (ServerConfig server : snapshot.servers()) {
            if (server.locations().contains(location)) {
                return ExchangeRecorders.serverLabel(server);
            }
        }
        return ExchangeRecorders.NO_LOCATION;
    }
}
