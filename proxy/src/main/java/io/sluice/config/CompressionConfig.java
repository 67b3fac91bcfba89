package io.sluice.config;

import java.util.List;
import java.util.Locale;

/**
 * On-the-fly response compression ({@code compression { }}), allowed at top level, in a server block and
 * in a location. Each key of an inner block overrides the same key of the enclosing one, like nginx's
 * {@code gzip} directives in http/server/location; a location with no block anywhere above it has
 * {@link #OFF}. {@code types} are media types ({@code text/*} matches a whole top-level type).
 */
public record CompressionConfig(boolean enabled, boolean gzip, boolean brotli, boolean zstd, long minLength,
                                List<String> types, int gzipLevel, int brotliLevel, int zstdLevel) {

    /** The media types compressed when {@code types} is not set: text and text-like formats. */
    public static final List<String> DEFAULT_TYPES = List.of("text/*", "application/json", "application/javascript",
            "application/x-javascript", "application/xml", "application/xhtml+xml", "application/rss+xml",
            "application/atom+xml", "application/ld+json", "application/manifest+json", "application/geo+json",
            "application/problem+json", "application/wasm", "image/svg+xml", "image/x-icon",
            "image/vnd.microsoft.icon", "font/ttf", "font/otf", "application/vnd.ms-fontobject");

    /**
     * No compression: the value of locations without a {@code compression} block above them. Its other
     * values are the defaults a first block starts from.
     */
    public static final CompressionConfig OFF = new CompressionConfig(false, true, true, false, 1024,
            DEFAULT_TYPES, 6, 4, 3);

    /** Reads the block at {@code key} of {@code parent} if present, its keys defaulting to {@code inherited}. */
    static CompressionConfig readIn(ConfigNode parent, String key, CompressionConfig inherited) {
        return parent.has(key) ? read(parent.child(key), inherited) : inherited;
    }

    static CompressionConfig read(ConfigNode node, CompressionConfig inherited) {
        boolean enabled = node.bool("enabled", true);
        boolean gzip = node.bool("gzip", inherited.gzip());
        boolean brotli = node.bool("brotli", inherited.brotli());
        boolean zstd = node.bool("zstd", inherited.zstd());
        long minLength = node.bytes("min-length", inherited.minLength());
        List<String> types = node.strings("types", inherited.types()).stream()
                .map(type -> type.trim().toLowerCase(Locale.ROOT)).toList();
        for (String type : types) {
            int slash = type.indexOf('/');
            if (slash <= 0 || slash == type.length() - 1 || type.indexOf('/', slash + 1) >= 0 || type.indexOf(';') >= 0
                    || type.indexOf('*') >= 0 && !type.endsWith("/*")) {
                node.error("types", "\"" + type + "\" is not a media type such as \"application/json\" or \"text/*\"");
            }
        }
        int gzipLevel = level(node, "gzip-level", inherited.gzipLevel(), 1, 9);
        int brotliLevel = level(node, "brotli-level", inherited.brotliLevel(), 0, 11);
        int zstdLevel = level(node, "zstd-level", inherited.zstdLevel(), 1, 22);
        node.finish();
        return new CompressionConfig(enabled && (gzip || brotli || zstd), gzip, brotli, zstd, minLength, types,
                gzipLevel, brotliLevel, zstdLevel);
    }

    private static int level(ConfigNode node, String key, int fallback, int min, int max) {
        int level = node.integer(key, fallback);
        if (level < min || level > max) {
            node.error(key, "must be between " + min + " and " + max + " (got " + level + ")");
            return fallback;
        }
        return level;
    }
}
