package io.sluice.admin;

import io.sluice.balance.ServerView;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.metrics.UpstreamMetrics;
import io.sluice.server.Readiness;
import io.sluice.server.SluiceServer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The content of {@code /status.json}: what the status page shows, as plain maps for JSON. */
final class StatusReport {
    private final SluiceServer server;
    private final StatusHistory history;

    StatusReport(SluiceServer server, StatusHistory history) {
        this.server = server;
        this.history = history;
    }

    Map<String, Object> build() {
        SluiceConfig config = server.config();
        Instant now = Instant.now();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("now", now.toEpochMilli());
        status.put("started_at", server.startedAt().toString());
        status.put("uptime_seconds", Duration.between(server.startedAt(), now).toSeconds());
        status.put("transport", server.transportName());
        status.put("workers", config.workers());
        Readiness readiness = server.readiness();
        status.put("ready", readiness.ready());
        status.put("ready_reason", readiness.reason());

        Map<String, Object> configInfo = new LinkedHashMap<>();
        configInfo.put("hash", config.hash());
        configInfo.put("source", config.source());
        configInfo.put("loaded_at", server.loadedAt().toString());
        configInfo.put("last_reload_problems", server.lastReloadProblems());
        configInfo.put("last_reload_failed_at", server.lastReloadFailedAt() == null ? null : server.lastReloadFailedAt().toString());
        status.put("config", configInfo);

        List<StatusHistory.Point> points = history.points();
        StatusHistory.Point last = points.isEmpty() ? null : points.get(points.size() - 1);
        status.put("connections", server.activeConnections());
        status.put("listeners", server.boundPorts());
        status.put("requests_per_second", last == null ? 0.0 : last.requestsPerSecond());
        status.put("error_rate", last == null ? 0.0 : last.errorRate());
        status.put("access_log", Map.of("written", server.accessLogWriter().written(),
                "dropped", server.accessLogWriter().dropped()));
        status.put("blocking_pool", Map.of("queue_depth", server.blockingPool().queueDepth(),
                "rejected", server.blockingPool().rejectedTasks()));
        status.put("event_loops", Map.of("lag_seconds", server.loopLagSeconds(), "stalls", server.loopStalls()));
        status.put("locations", history.locations());
        status.put("upstreams", upstreams(config));
        status.put("cache", Map.of("entries", server.responseCache().entryCount(),
                "bytes", server.responseCache().weightedSize(), "max_size", server.responseCache().config().maxSize(),
                "hit_ratio", server.responseCache().stats().hitRatio()));

        Map<String, Object> series = new LinkedHashMap<>();
        series.put("interval_seconds", 1);
        series.put("requests_per_second", points.stream().map(StatusHistory.Point::requestsPerSecond).toList());
        series.put("error_rate", points.stream().map(StatusHistory.Point::errorRate).toList());
        series.put("connections", points.stream().map(StatusHistory.Point::connections).toList());
        series.put("p99_ms", points.stream().map(StatusHistory.Point::p99Millis).toList());
        status.put("history", series);
        return status;
    }

    /**
     * Every upstream server of the running configuration, with what the proxy and health checks recorded:
     * the live servers of groups in use (a host name is one server per resolved address, and is listed on
     * its own while it resolves to none), else the configured ones.
     */
    private List<Map<String, Object>> upstreams(SluiceConfig config) {
        Map<String, List<ServerView>> live = server.upstreamStates();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (UpstreamConfig upstream : config.upstreams().values()) {
            List<ServerView> servers = live.get(upstream.name());
            if (servers != null) {
                for (ServerView view : servers) {
                    Map<String, Object> row = row(upstream.name(), view.server(), view.tls(), view.weight(), view.backup());
                    // what the balancer does with it now: up, down (checks), out (passive health) or drain (admin)
                    row.put("state", view.state());
                    rows.add(row);
                }
                Set<String> present = servers.stream().map(ServerView::configuredAddress).collect(Collectors.toSet());
                for (UpstreamConfig.Server configured : upstream.servers()) {
                    if (!present.contains(configured.address().toString())) {
                        rows.add(row(upstream.name(), configured.name() + " (resolves to no address)", configured.tls(),
                                configured.weight(), configured.backup()));
                    }
                }
            } else {
                for (UpstreamConfig.Server configured : upstream.servers()) {
                    rows.add(row(upstream.name(), configured.name(), configured.tls(), configured.weight(),
                            configured.backup()));
                }
            }
        }
        return rows;
    }

    private Map<String, Object> row(String upstream, String name, boolean tls, int weight, boolean backup) {
        UpstreamMetrics metrics = server.metrics().upstream(upstream, name);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("upstream", upstream);
        row.put("server", (tls ? "https://" : "") + name);
        row.put("weight", weight);
        row.put("backup", backup);
        row.put("health", metrics.health().name().toLowerCase(Locale.ROOT));
        row.put("in_flight", metrics.inFlight());
        row.put("failures", metrics.failures());
        row.put("idle_connections", metrics.idleConnections());
        return row;
    }
}
