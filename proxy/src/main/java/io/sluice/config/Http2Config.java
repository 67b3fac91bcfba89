package io.sluice.config;

/**
 * {@code http2 { }}: the per-connection limits of HTTP/2 client connections. The header list size comes
 * from {@code limits.max-header-size}. Together they bound the work one connection can cause: streams
 * open at once, buffered bytes per stream, resets and empty frames a peer may send (rapid reset,
 * CVE-2023-44487), and control frames queued for a peer that does not read.
 */
public record Http2Config(int maxConcurrentStreams, int initialWindowSize, int maxFrameSize,
                          int maxResetsPerWindow, int resetWindowSeconds, int maxConsecutiveEmptyFrames,
                          int maxQueuedControlFrames) {

    static Http2Config read(ConfigNode node) {
        int streams = range(node, "max-concurrent-streams", 128, 1, Integer.MAX_VALUE);
        int window = (int) Math.min(Integer.MAX_VALUE, node.bytes("initial-window-size", 65535));
        if (window < 65535) {
            node.error("initial-window-size", "must be between 64k and 2g");
            window = 65535;
        }
        int frame = (int) node.bytes("max-frame-size", 16384);
        if (frame < 16384 || frame > 16777215) {
            node.error("max-frame-size", "must be between 16k and 16m-1 (RFC 9113 §6.5.2)");
            frame = 16384;
        }
        int resets = range(node, "max-resets", 200, 1, Integer.MAX_VALUE);
        int resetWindow = (int) node.duration("reset-window", java.time.Duration.ofSeconds(30)).toSeconds();
        if (resetWindow < 1) {
            node.error("reset-window", "must be at least 1s");
            resetWindow = 30;
        }
        int empty = range(node, "max-consecutive-empty-frames", 2, 1, Integer.MAX_VALUE);
        int control = range(node, "max-queued-control-frames", 10000, 1, Integer.MAX_VALUE);
        node.finish();
        return new Http2Config(streams, window, frame, resets, resetWindow, empty, control);
    }

    private static int range(ConfigNode node, String key, int fallback, int min, int max) {
        int value = node.integer(key, fallback);
        if (value < min || value > max) {
            node.error(key, "must be between " + min + " and " + max);
            return fallback;
        }
        return value;
    }
}
