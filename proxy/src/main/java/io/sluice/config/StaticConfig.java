package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The {@code static} action: serve files below {@code root}, with the location prefix stripped. */
public record StaticConfig(Path root, List<String> index, boolean autoindex, String fallback, boolean precompressed,
                           String cacheControl, Symlinks symlinks, boolean dotfilesAllowed,
                           Map<String, String> mimeTypes, int openFileCacheMax, Duration openFileCacheValid,
                           long openFileCacheMemory)
        implements LocationAction {

    public enum Symlinks { INSIDE_ROOT, FOLLOW, DENY }

    /** type/subtype with optional parameters (RFC 9110 §8.3.1); the values become header values verbatim. */
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\\s*;\\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=[^\\x00-\\x1f\\x7f;]+)*");
    private static final Pattern HEADER_VALUE = Pattern.compile("[^\\x00-\\x08\\x0a-\\x1f\\x7f]*");

    static StaticConfig read(ConfigNode node, Path baseDirectory) {
        String rootText = node.string("root", "");
        if (rootText.isEmpty()) {
            node.error("root", "required: the directory to serve");
        }
        Path root = baseDirectory.resolve(rootText.isEmpty() ? "." : rootText).normalize();
        List<String> index = node.strings("index", List.of("index.html"));
        for (String name : index) {
            if (name.isEmpty() || name.contains("/") || name.contains("\\")) {
                node.error("index", "entries are plain file names (got \"" + name + "\")");
            }
        }
        boolean autoindex = node.bool("autoindex", false);
        String fallback = node.optionalString("fallback").orElse(null);
        if (fallback != null && !fallback.startsWith("/")) {
            node.error("fallback", "must be a path starting with / (got \"" + fallback + "\")");
        }
        boolean precompressed = node.bool("precompressed", false);
        String cacheControl = node.optionalString("cache-control").orElse(null);
        if (cacheControl != null && !HEADER_VALUE.matcher(cacheControl).matches()) {
            node.error("cache-control", "must be a header value without control characters");
        }
        Symlinks symlinks = switch (ConfigChecks.oneOf(node, "symlinks", "inside-root", "inside-root", "follow", "deny")) {
            case "follow" -> Symlinks.FOLLOW;
            case "deny" -> Symlinks.DENY;
            default -> Symlinks.INSIDE_ROOT;
        };
        boolean dotfilesAllowed = "allow".equals(ConfigChecks.oneOf(node, "dotfiles", "deny", "deny", "allow"));
        Map<String, String> mimeTypes = node.stringMap("mime-types");
        mimeTypes.forEach((extension, type) -> {
            if (!MEDIA_TYPE.matcher(type).matches()) {
                node.error("mime-types", "\"" + type + "\" for \"" + extension + "\" is not a media type such as text/plain");
            }
        });
        ConfigNode cache = node.child("open-file-cache");
        int cacheMax = cache.integer("max", 10000);
        if (cacheMax < 0) {
            cache.error("max", "must not be negative (0 disables the cache)");
        }
        Duration cacheValid = ConfigChecks.positive(cache, "valid", Duration.ofSeconds(30));
        long cacheMemory = cache.bytes("memory", 8L << 20);
        if (cacheMemory < 0) {
            cache.error("memory", "must not be negative (0 keeps no file content in memory)");
        }
        cache.finish();
        node.finish();
        return new StaticConfig(root, index, autoindex, fallback, precompressed, cacheControl, symlinks,
                dotfilesAllowed, mimeTypes, Math.max(0, cacheMax), cacheValid, Math.max(0, cacheMemory));
    }
}
