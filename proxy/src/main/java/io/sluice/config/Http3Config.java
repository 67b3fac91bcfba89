package io.sluice.config;

import java.time.Duration;

/**
 * {@code http3 { }}: the QUIC transport limits of HTTP/3 client connections, announced to each client in
 * the handshake. They bound what one connection can make Sluice hold: request streams open at once,
 * request-body bytes in flight per stream and per connection before Sluice reads them, and how long a
 * silent connection is kept. The header section size comes from {@code limits.max-header-size}.
 */
public record Http3Config(int maxConcurrentStreams, Duration idleTimeout, long maxData, long maxStreamData) {

    static Http3Config read(ConfigNode node) {
        int streams = node.integer("max-concurrent-streams", 128);
        if (streams < 1) {
            node.error("max-concurrent-streams", "must be at least 1");
            streams = 128;
        }
        Duration idle = ConfigChecks.positive(node, "idle-timeout", Duration.ofSeconds(60));
        long maxData = node.bytes("max-data", 8L << 20);
        long maxStreamData = node.bytes("max-stream-data", 1L << 20);
        if (maxStreamData < 1024) {
            node.error("max-stream-data", "must be at least 1k");
            maxStreamData = 1L << 20;
        }
        if (maxData < maxStreamData) {
            node.error("max-data", "must be at least max-stream-data (" + maxStreamData + " bytes): it bounds all"
                    + " streams of a connection together");
            maxData = Math.max(8L << 20, maxStreamData);
        }
        node.finish();
        return new Http3Config(streams, idle, maxData, maxStreamData);
    }
}
