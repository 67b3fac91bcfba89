package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The response-cache keys of a {@code proxy { }} block: whether its responses are cached, the key they
 * are cached under, which methods are served from the cache, and the two opt-ins for responses a shared
 * cache keeps to itself by default (answers to requests with {@code Authorization}, answers that set
 * cookies).
 */
public record ProxyCacheConfig(boolean enabled, VariableText key, boolean head, boolean cacheAuthorized,
                               boolean cacheSetCookie) {

    public static final String DEFAULT_KEY = "$scheme$host$uri$args";

    static ProxyCacheConfig read(ConfigNode node) {
        boolean enabled = node.bool("cache", false);
        VariableText key = VariableText.read(node, "cache-key", DEFAULT_KEY, VariableText.ALL);
        if (!key.hasVariables()) {
            node.error("cache-key", "\"" + key.text() + "\" has no variable: every request would share one entry");
            key = VariableText.parse(DEFAULT_KEY, VariableText.ALL);
        }
        List<String> methods = new ArrayList<>();
        for (String method : node.strings("cache-methods", List.of("GET", "HEAD"))) {
            methods.add(method.toUpperCase(Locale.ROOT));
        }
        if (!methods.contains("GET")) {
            node.error("cache-methods", "must contain GET (a HEAD is answered from the GET's entry)");
        }
        for (String method : methods) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                node.error("cache-methods", "only GET and HEAD responses are cached (got \"" + method + "\")");
            }
        }
        boolean cacheAuthorized = node.bool("cache-authorized", false);
        boolean cacheSetCookie = node.bool("cache-set-cookie", false);
        return new ProxyCacheConfig(enabled, key, methods.contains("HEAD"), cacheAuthorized, cacheSetCookie);
    }
}
