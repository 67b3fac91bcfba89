package io.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code proxy} action: forward to an upstream group and stream the answer back. */
public record ProxyConfig(String upstream, String host, HeaderRules requestHeaders, HeaderRules responseHeaders,
                          boolean buffering) implements LocationAction {

    /** Headers to set (replacing any of the same name) and to remove, in one direction. */
    public record HeaderRules(Map<String, String> set, List<String> remove) {
        static HeaderRules read(ConfigNode node) {
            Map<String, String> set = node.stringMap("set");
            List<String> remove = node.strings("remove", List.of());
            node.finish();
            return new HeaderRules(set, remove);
        }
    }

    static ProxyConfig read(ConfigNode node, Set<String> upstreamNames) {
        String upstream = node.string("upstream", "");
        if (upstream.isEmpty()) {
            node.error("upstream", "required: the name of an entry in upstreams");
        } else if (!upstreamNames.contains(upstream)) {
            node.error("upstream", "no upstream named \"" + upstream + "\" (known: "
                    + (upstreamNames.isEmpty() ? "none" : String.join(", ", upstreamNames)) + ")");
        }
        String host = node.string("host", "$host");
        HeaderRules requestHeaders = HeaderRules.read(node.child("request-headers"));
        HeaderRules responseHeaders = HeaderRules.read(node.child("response-headers"));
        boolean buffering = node.bool("buffering", false);
        node.finish();
        return new ProxyConfig(upstream, host, requestHeaders, responseHeaders, buffering);
    }
}
