package io.sluice.config;

import java.nio.file.Path;
import java.util.Set;

/**
 * One location of a server block: how it matches, its body limits, its action, and its response
 * compression (its own {@code compression} block over the server's and the top level's); its request
 * limits ({@code rate-limit}, {@code limit-conn}) apply before the action.
 */
public record LocationConfig(String configPath, LocationMatch match, BodyLimits bodyLimits, LocationAction action,
                             CompressionConfig compression, RequestLimits requestLimits) {

    static LocationConfig read(ConfigNode node, BodyLimits serverLimits, Path baseDirectory, Set<String> upstreamNames,
                               CompressionConfig serverCompression, Set<String> rateLimitZones) {
        LocationMatch match = LocationMatch.read(node);
        BodyLimits limits = node.has("limits") ? BodyLimits.readOverride(node.child("limits"), serverLimits) : serverLimits;
        int actions = (node.has("return") ? 1 : 0) + (node.has("static") ? 1 : 0) + (node.has("proxy") ? 1 : 0);
        LocationAction action;
        if (actions != 1) {
            node.problems().add(node.origin(), node.path(),
                    "needs exactly one action: return { }, static { } or proxy { } (found " + actions + ")");
            action = null;
        } else if (node.has("return")) {
            action = ReturnConfig.read(node.child("return"));
        } else if (node.has("static")) {
            ConfigNode staticNode = node.child("static");
            if (match.kind() == LocationMatch.Kind.REGEX) {
                staticNode.error("root", "a static location needs a prefix or exact match to strip from the path");
            }
            action = StaticConfig.read(staticNode, baseDirectory);
        } else {
            action = ProxyConfig.read(node.child("proxy"), upstreamNames);
        }
        CompressionConfig compression = CompressionConfig.readIn(node, "compression", serverCompression);
        RequestLimits requestLimits = RequestLimits.read(node, rateLimitZones);
        node.finish();
        return new LocationConfig(node.path(), match, limits, action, compression, requestLimits);
    }
}
