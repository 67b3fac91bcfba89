package io.sluice.config;

import io.netty.util.NetUtil;
import io.sluice.util.HostAndPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A named group of upstream servers that {@code proxy} locations forward to. */
public record UpstreamConfig(String name, List<Server> servers, Duration connectTimeout, Duration readTimeout,
                             Duration sendTimeout, Keepalive keepalive, int retries, Tls tls,
                             BalancingConfig balancing, Protocol protocol, Dns dns) {

    /**
     * How requests are spoken to the group's servers: HTTP/1.1 on pooled connections ({@code http1}), or
     * HTTP/2 streams multiplexed on few connections, over TLS negotiated by ALPN ({@code h2}) or cleartext
     * with prior knowledge ({@code h2c}), as gRPC services need.
     */
    public enum Protocol {
        HTTP1, H2, H2C
    }

    /**
     * One upstream server; {@code tls} when its address was written {@code https://host:port}. A server
     * whose address names a host is, once DNS has answered, one server per resolved address: {@code ip} is
     * that address (an IP literal), null for a server as configured.
     */
    public record Server(HostAndPort address, boolean tls, int weight, boolean backup, String ip) {

        /** This configured server at one address its host name resolved to; weight and backup stay. */
        public Server at(String resolvedIp) {
            return new Server(address, tls, weight, backup, resolvedIp);
        }

        /** The host to connect to: the resolved address, else the configured host (an IP literal or a name). */
        public String connectHost() {
            return ip != null ? ip : address.host();
        }

        /**
         * How the server is named in logs, metrics and the admin API, unique within its group: the configured
         * {@code host:port}, or for a resolved server {@code ip:port (host)}.
         */
        public String name() {
            return ip == null ? address.toString() : new HostAndPort(ip, address.port()) + " (" + address.host() + ")";
        }
    }

    /**
     * How host names in server addresses are looked up: again every {@code resolveInterval} at most (sooner
     * when the answer's TTL is shorter; zero turns re-resolution off, the name is then resolved per
     * connection), asking {@code nameServers} (empty: the system's, from /etc/resolv.conf).
     */
    public record Dns(Duration resolveInterval, List<HostAndPort> nameServers) {
    }

    /** This group with {@code resolved} as its servers: the configured ones with host names expanded. */
    public UpstreamConfig withServers(List<Server> resolved) {
        return new UpstreamConfig(name, List.copyOf(resolved), connectTimeout, readTimeout, sendTimeout, keepalive,
                retries, tls, balancing, protocol, dns);
    }

    /**
     * How TLS connections to this group's servers are made: certificate verification against the JVM's
     * trust store or {@code caFile} (PEM), and the SNI / verified host name ({@code sni}, else the server's
     * host). {@code enabled} when the group has a {@code tls { }} block; servers written {@code https://}
     * use TLS either way.
     */
    public record Tls(boolean enabled, boolean verify, Path caFile, String sni) {
        static final Tls DEFAULT = new Tls(false, true, null, null);
    }

    /** Idle-connection pooling per event loop. */
    /**
     * Upstream connection reuse. {@code pingInterval} (zero when off) and {@code pingTimeout} apply to HTTP/2
     * connections only: a PING every interval, and a connection whose server does not answer one within the
     * timeout is closed, so a dead peer fails its streams at once instead of after {@code read-timeout}.
     */
    public record Keepalive(int maxIdle, Duration idleTimeout, int maxRequests, Duration pingInterval,
                            Duration pingTimeout) {
    }

    static UpstreamConfig read(String name, ConfigNode node, Path baseDirectory) {
        Tls tls = node.has("tls") ? readTls(node.child("tls"), baseDirectory) : Tls.DEFAULT;
        Protocol protocol = readProtocol(node);
        List<Server> servers = new ArrayList<>();
        for (ConfigNode serverNode : node.objects("servers")) {
            Server server = readServer(serverNode, tls.enabled() || protocol == Protocol.H2);
            if (server != null) {
                servers.add(server);
            }
        }
        if (protocol == Protocol.H2C && servers.stream().anyMatch(Server::tls)) {
            node.error("protocol", "h2c is cleartext HTTP/2: use h2 for servers reached over TLS");
        }
        if (servers.size() > 64) {
            node.error("servers", "at most 64 servers per upstream (got " + servers.size() + ")");
        }
        if (servers.isEmpty() && node.problems().isEmpty()) {
            node.error("servers", "needs at least one server, e.g. [ { address = \"127.0.0.1:9000\" } ]");
        }
        Duration connectTimeout = ConfigChecks.positive(node, "connect-timeout", Duration.ofSeconds(1));
        Duration readTimeout = ConfigChecks.positive(node, "read-timeout", Duration.ofSeconds(60));
        Duration sendTimeout = ConfigChecks.positive(node, "send-timeout", Duration.ofSeconds(60));
        ConfigNode keepaliveNode = node.child("keepalive");
        int maxIdle = keepaliveNode.integer("max-idle", 32);
        if (maxIdle < 0) {
            keepaliveNode.error("max-idle", "must not be negative (0 disables keep-alive)");
        }
        Duration idleTimeout = ConfigChecks.positive(keepaliveNode, "idle-timeout", Duration.ofSeconds(4));
        int maxRequests = keepaliveNode.integer("max-requests", 10000);
        if (maxRequests < 1) {
            keepaliveNode.error("max-requests", "must be at least 1");
        }
        Duration pingInterval = keepaliveNode.duration("ping-interval", Duration.ZERO);
        if (pingInterval.isNegative()) {
            keepaliveNode.error("ping-interval", "must not be negative (0s turns PINGs off)");
            pingInterval = Duration.ZERO;
        }
        Duration pingTimeout = ConfigChecks.positive(keepaliveNode, "ping-timeout", Duration.ofSeconds(10));
        if (!pingInterval.isZero() && protocol == Protocol.HTTP1) {
            keepaliveNode.error("ping-interval", "PINGs are HTTP/2 frames: only for protocol = h2 or h2c");
        }
        keepaliveNode.finish();
        int retries = node.integer("retries", 1);
        if (retries < 0) {
            node.error("retries", "must not be negative");
        }
        BalancingConfig balancing = BalancingConfig.read(node);
        if (balancing.healthCheck() != null && balancing.healthCheck().grpcService() != null && protocol == Protocol.HTTP1) {
            node.error("health-check", "grpc-service needs protocol = h2 or h2c: gRPC runs over HTTP/2");
        }
        Dns dns = readDns(node);
        node.finish();
        return new UpstreamConfig(name, List.copyOf(servers), connectTimeout, readTimeout, sendTimeout,
                new Keepalive(Math.max(0, maxIdle), idleTimeout, Math.max(1, maxRequests), pingInterval, pingTimeout), Math.max(0, retries), tls,
                balancing, protocol, dns);
    }

    private static Dns readDns(ConfigNode node) {
        Duration interval = node.duration("resolve-interval", Duration.ofSeconds(5));
        if (interval.isNegative() || (!interval.isZero() && interval.compareTo(Duration.ofSeconds(1)) < 0)) {
            node.error("resolve-interval", "must be at least 1s (0s turns re-resolution off)");
            interval = Duration.ofSeconds(5);
        }
        List<HostAndPort> nameServers = new ArrayList<>();
        ConfigNode resolver = node.child("resolver");
        for (String text : resolver.strings("servers", List.of())) {
            String hostPort = text.startsWith("[") ? (text.endsWith("]") ? text + ":53" : text)
                    : text.indexOf(':') < 0 ? text + ":53" : text;
            try {
                HostAndPort server = HostAndPort.parse(hostPort);
                if (!NetUtil.isValidIpV4Address(server.host()) && !NetUtil.isValidIpV6Address(server.host())) {
                    resolver.error("servers", "name servers are IP addresses (got \"" + text + "\")");
                } else {
                    nameServers.add(server);
                }
            } catch (IllegalArgumentException e) {
                resolver.error("servers", "bad name server \"" + text + "\": " + e.getMessage());
            }
        }
        resolver.finish();
        return new Dns(interval, List.copyOf(nameServers));
    }

    private static Protocol readProtocol(ConfigNode node) {
        String text = node.string("protocol", "http1");
        return switch (text) {
            case "http1" -> Protocol.HTTP1;
            case "h2" -> Protocol.H2;
            case "h2c" -> Protocol.H2C;
            default -> {
                node.error("protocol", "must be http1, h2 (HTTP/2 over TLS) or h2c (cleartext HTTP/2), got \"" + text + "\"");
                yield Protocol.HTTP1;
            }
        };
    }

    private static Tls readTls(ConfigNode node, Path baseDirectory) {
        boolean verify = node.bool("verify", true);
        Path caFile = node.optionalString("ca-file").map(baseDirectory::resolve).orElse(null);
        String sni = node.optionalString("sni").orElse(null);
        if (sni != null && sni.isBlank()) {
            node.error("sni", "must be a host name");
        }
        node.finish();
        return new Tls(true, verify, caFile, sni);
    }

    private static Server readServer(ConfigNode node, boolean tlsBlock) {
        String text = node.string("address", "");
        int weight = node.integer("weight", 1);
        if (weight < 1) {
            node.error("weight", "must be at least 1");
        }
        boolean backup = node.bool("backup", false);
        node.finish();
        if (text.isEmpty()) {
            node.error("address", "required, e.g. \"127.0.0.1:9000\" or \"https://app.internal:443\"");
            return null;
        }
        boolean tls = tlsBlock;
        String hostPort = text;
        if (text.startsWith("https://")) {
            tls = true;
            hostPort = text.substring("https://".length());
        } else if (text.startsWith("http://")) {
            hostPort = text.substring("http://".length());
        }
        if (hostPort.endsWith("/")) {
            hostPort = hostPort.substring(0, hostPort.length() - 1);
        }
        boolean schemeWritten = hostPort.length() != text.length() - (text.endsWith("/") ? 1 : 0);
        boolean portless = hostPort.startsWith("[") ? hostPort.endsWith("]") : hostPort.indexOf(':') < 0;
        if (schemeWritten && portless) {
            hostPort = hostPort + ":" + (text.startsWith("https://") ? 443 : 80);
        }
        try {
            return new Server(HostAndPort.parse(hostPort), tls, Math.max(1, weight), backup, null);
        } catch (IllegalArgumentException e) {
            node.error("address", "bad address \"" + text + "\": " + e.getMessage());
            return null;
        }
    }
}
