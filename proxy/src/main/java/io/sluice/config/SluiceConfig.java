package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The whole validated configuration: an immutable snapshot. A reload builds a new one and swaps it in;
 * requests in flight keep the snapshot they started with.
 */
public record SluiceConfig(int workers, Transport transport, int backlog, BlockingPoolConfig blockingPool,
                           Duration shutdownTimeout, Duration drainDelay, LimitsConfig limits, Http2Config http2,
                           Http3Config http3,
                           AdminConfig admin, AccessLogConfig accessLog, ReadinessConfig readiness, ReloadConfig reload,
                           Map<String, UpstreamConfig> upstreams, List<ServerConfig> servers, String source,
                           String hash, CacheConfig cache, Map<String, RateLimitZoneConfig> rateLimitZones,
                           Duration loopStallWarning) {

    static SluiceConfig read(ConfigNode node, Path baseDirectory, String source, String hash) {
        int workers = workers(node);
        Transport transport = Transport.read(node, "transport");
        int backlog = node.integer("backlog", 4096);
        if (backlog < 1) {
            node.error("backlog", "must be at least 1");
        }
        BlockingPoolConfig blockingPool = BlockingPoolConfig.read(node.child("blocking-pool"));
        Duration shutdownTimeout = ConfigChecks.positive(node, "shutdown-timeout", Duration.ofSeconds(30));
        Duration drainDelay = node.duration("drain-delay", Duration.ZERO);
        if (drainDelay.isNegative()) {
            node.error("drain-delay", "must not be negative");
            drainDelay = Duration.ZERO;
        }
        Duration loopStallWarning = node.duration("loop-stall-warning", Duration.ofSeconds(1));
        if (loopStallWarning.compareTo(Duration.ofMillis(100)) < 0) {
            node.error("loop-stall-warning", "must be at least 100ms (the loops are checked every 100ms)");
            loopStallWarning = Duration.ofSeconds(1);
        }
        LimitsConfig limits = LimitsConfig.read(node.child("limits"));
        Http2Config http2 = Http2Config.read(node.child("http2"));
        Http3Config http3 = Http3Config.read(node.child("http3"));
        AdminConfig admin = AdminConfig.read(node.child("admin"));
        AccessLogConfig accessLog = AccessLogConfig.read(node.child("access-log"), baseDirectory, null);
        ReadinessConfig readiness = ReadinessConfig.read(node.child("readiness"));
        ReloadConfig reload = ReloadConfig.read(node.child("reload"));
        CacheConfig cache = CacheConfig.read(node.child("cache"));
        Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
        ConfigNode upstreamsNode = node.child("upstreams");
        for (String name : upstreamsNode.keys()) {
            upstreams.put(name, UpstreamConfig.read(name, upstreamsNode.child(name), baseDirectory));
        }
        CompressionConfig compression = CompressionConfig.readIn(node, "compression", CompressionConfig.OFF);
        ConfigNode zonesNode = node.child("rate-limit-zones");
        Set<String> zoneNames = zonesNode.keys();
        List<ServerConfig> servers = new ArrayList<>();
        SharedAddresses sharedAddresses = new SharedAddresses();
        for (ConfigNode serverNode : node.objects("servers")) {
            ServerConfig server = ServerConfig.read(serverNode, limits, accessLog, baseDirectory, upstreams.keySet(),
                    compression, zoneNames);
            sharedAddresses.check(server, serverNode);
            servers.add(server);
        }
        if (servers.isEmpty()) {
            node.error("servers", "needs at least one server block");
        }
        Map<String, RateLimitZoneConfig> rateLimitZones = rateLimitZones(zonesNode, servers);
        node.finish();
        return new SluiceConfig(workers, transport, Math.max(1, backlog), blockingPool, shutdownTimeout, drainDelay,
                limits, http2, http3, admin, accessLog, readiness, reload, Map.copyOf(upstreams), List.copyOf(servers), source,
                hash, cache, rateLimitZones, loopStallWarning);
    }

    /**
     * The zones with their idle timeouts settled: a zone's state must outlive the longest burst of the
     * locations that use it, or a client would get a fresh burst before its last one has drained.
     */
    private static Map<String, RateLimitZoneConfig> rateLimitZones(ConfigNode zonesNode, List<ServerConfig> servers) {
        Map<String, RateLimitZoneConfig> zones = new LinkedHashMap<>();
        for (String name : zonesNode.keys()) {
            ConfigNode zoneNode = zonesNode.child(name);
            RateLimitZoneConfig zone = RateLimitZoneConfig.read(name, zoneNode);
            long windowNanos = 0;
            String longest = null;
            for (ServerConfig server : servers) {
                for (LocationConfig location : server.locations()) {
                    RateLimitConfig rate = location.requestLimits().rate();
                    if (rate != null && rate.zone().equals(name) && rate.windowNanos() > windowNanos) {
                        windowNanos = rate.windowNanos();
                        longest = location.configPath();
                    }
                }
            }
            Duration window = Duration.ofNanos(windowNanos);
            if (zone.idleTimeout() == null) {
                zone = new RateLimitZoneConfig(name, zone.maxKeys(), window.compareTo(Duration.ofSeconds(1)) > 0
                        ? window : Duration.ofSeconds(1));
            } else if (zone.idleTimeout().compareTo(window) < 0) {
                zoneNode.error("idle-timeout", "shorter than the " + window.toMillis() + "ms a full burst of " + longest
                        + " takes to drain; raise it or leave it out");
            }
            zones.put(name, zone);
        }
        return Map.copyOf(zones);
    }

    private static int workers(ConfigNode node) {
        String text = node.string("workers", "auto");
        if ("auto".equals(text)) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int workers = Integer.parseInt(text);
            if (workers >= 1 && workers <= 1024) {
                return workers;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the accepted forms
        }
        node.error("workers", "must be auto or a number between 1 and 1024 (got \"" + text + "\")");
        return 1;
    }

    /**
     * Several server blocks may share an address (name-based virtual hosts), but then they must agree on
     * its options, and no two may claim the same name or both be the nameless default.
     */
    private static final class SharedAddresses {
        private final Map<String, ListenConfig> options = new HashMap<>();
        private final Map<String, String> claimedNames = new HashMap<>();

        void check(ServerConfig server, ConfigNode serverNode) {
            // a block on both the TCP and the UDP socket of one address claims its names there once
            Set<String> claimedHere = new HashSet<>();
            for (ListenConfig listen : server.listen()) {
                String address = listen.address().toString();
                ListenConfig first = options.putIfAbsent(listen.socketKey(), listen);
                if (first != null && !first.equals(listen)) {
                    serverNode.error("listen", "duplicate listen address " + address
                            + " with different tls/http2/proxy-protocol options");
                }
                if (!claimedHere.add(address)) {
                    continue;
                }
                List<String> names = server.serverNames().isEmpty() ? List.of("") : server.serverNames();
                for (String name : names) {
                    String owner = claimedNames.putIfAbsent(address + " " + name, server.configPath());
                    if (owner != null) {
                        serverNode.error("listen", "duplicate listen address " + address + (name.isEmpty()
                                ? ": " + owner + " already listens there without server-names"
                                : " for server name \"" + name + "\" (also in " + owner + ")"));
                    }
                }
            }
        }
    }
}
