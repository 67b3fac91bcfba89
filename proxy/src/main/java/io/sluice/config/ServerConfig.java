package io.sluice.config;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A server block: the addresses it listens on, the host names it answers, its locations in order, and its
 * access log (the top-level one unless the block overrides it); with TLS listeners, its certificates
 * ({@code tls}), and optionally {@code hsts} and {@code redirect-to-https} (the HTTPS port plain-HTTP
 * requests are redirected to; 0 when off).
 */
public record ServerConfig(String configPath, List<ListenConfig> listen, List<String> serverNames,
                           List<LocationConfig> locations, AccessLogConfig accessLog, TlsConfig tls, HstsConfig hsts,
                           int redirectToHttps) {

    static ServerConfig read(ConfigNode node, LimitsConfig limits, AccessLogConfig defaultAccessLog, Path baseDirectory,
                             Set<String> upstreamNames, CompressionConfig topCompression, Set<String> rateLimitZones) {
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
                if (!seen.add(entry.socketKey())) {
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
        CompressionConfig compression = CompressionConfig.readIn(node, "compression", topCompression);
        List<LocationConfig> locations = new ArrayList<>();
        Set<String> matches = new HashSet<>();
        for (ConfigNode locationNode : node.objects("locations")) {
            LocationConfig location = LocationConfig.read(locationNode, limits.body(), baseDirectory, upstreamNames,
                    compression, rateLimitZones);
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
        TlsConfig tls = node.has("tls") ? TlsConfig.read(node.child("tls"), baseDirectory) : null;
        if (tls == null && listen.stream().anyMatch(ListenConfig::tls)) {
            node.error("listen", "a tls = true listener needs a tls { certificates = [ { cert, key } ] } block"
                    + " in every server block on that address");
        }
        if (listen.stream().anyMatch(ListenConfig::http3)) {
            if (tls == null || tls.certificates().isEmpty()) {
                node.error("listen", "an http3 = true listener needs a tls { certificates = [ { cert, key } ] } block"
                        + " in its server block: QUIC is always encrypted (TLS 1.3)");
            } else if (!tls.protocols().contains("TLSv1.3")) {
                node.error("tls", "protocols must include TLSv1.3 for the http3 listener: QUIC uses TLS 1.3 only");
            }
        }
        HstsConfig hsts = node.has("hsts") ? HstsConfig.read(node.child("hsts")) : null;
        int redirectToHttps = redirectToHttps(node);
        node.finish();
        return new ServerConfig(node.path(), List.copyOf(listen), List.copyOf(names), List.copyOf(locations), accessLog,
                tls, hsts, redirectToHttps);
    }

    /** {@code redirect-to-https = true} redirects to port 443; a number names another HTTPS port. */
    private static int redirectToHttps(ConfigNode node) {
        ConfigValue value = node.raw("redirect-to-https").orElse(null);
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            return 0;
        }
        if (value.valueType() == ConfigValueType.BOOLEAN) {
            return Boolean.TRUE.equals(value.unwrapped()) ? 443 : 0;
        }
        if (value.valueType() == ConfigValueType.NUMBER) {
            int port = ((Number) value.unwrapped()).intValue();
            if (port >= 1 && port <= 65535) {
                return port;
            }
        }
        node.error("redirect-to-https", "must be true, false or the HTTPS port (1-65535)");
        return 0;
    }
}
