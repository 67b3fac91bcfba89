package io.sluice.ratelimit;

import io.sluice.config.RateLimitZoneConfig;
import io.sluice.config.SluiceConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * The zones of the running configuration, kept across reloads: a zone whose settings a reload leaves
 * unchanged keeps its state (clients keep their history); a changed zone starts with empty rate state
 * but keeps its count of requests in progress, so requests that started before the reload still count
 * against {@code limit-conn} until they end. Zones the new configuration drops are forgotten.
 */
public final class RateLimitZones {
    private final NanoClock clock;
    private SluiceConfig compiled;
    private Map<String, RateLimitZone> zones = Map.of();

    public RateLimitZones(NanoClock clock) {
        this.clock = clock;
    }

    /**
     * The zones of {@code snapshot} by name. Called for every location while a configuration is compiled
     * (never per request), so the first call of a new snapshot settles which zones are kept.
     */
    public synchronized Map<String, RateLimitZone> of(SluiceConfig snapshot) {
        if (snapshot != compiled) {
            Map<String, RateLimitZone> next = new HashMap<>();
            for (RateLimitZoneConfig config : snapshot.rateLimitZones().values()) {
                RateLimitZone previous = zones.get(config.name());
                if (previous != null && previous.config().equals(config)) {
                    next.put(config.name(), previous);
                } else {
                    next.put(config.name(), new RateLimitZone(config, clock,
                            previous == null ? new InFlightTable() : previous.inFlightTable()));
                }
            }
            zones = Map.copyOf(next);
            compiled = snapshot;
        }
        return zones;
    }
}
