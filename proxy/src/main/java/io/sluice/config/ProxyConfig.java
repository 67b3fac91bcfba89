package io.sluice.config;

import io.sluice.util.Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code proxy} action: forward to an upstream group and stream the answer back. {@code trustedProxies}
 * are the peers whose {@code X-Forwarded-For} is kept and appended to; {@code forwarded} and {@code via}
 * add the RFC 7239 {@code Forwarded} and the {@code Via} header.
 */
public record ProxyConfig(String upstream, String host, HeaderRules requestHeaders, HeaderRules responseHeaders,
                          boolean buffering, List<Cidr> trustedProxies, boolean forwarded, boolean via,
                          ProxyCacheConfig cache)
        implements LocationAction {

    /** Headers to set (replacing any of the same name) and to remove, in one direction. */
    public record HeaderRules(Map<String, String> set, List<String> remove) {
        /**
         * Headers that say where a message ends: Sluice frames each message itself, and a rule that set
         * or removed one of these could make the two hops disagree on where a message ends.
         */
        private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "connection");

        static HeaderRules read(ConfigNode node) {
            Map<String, String> set = node.stringMap("set");
            List<String> remove = node.strings("remove", List.of());
            for (String name : set.keySet()) {
                if (FRAMING.contains(name.toLowerCase(Locale.ROOT))) {
                    node.error("set", "\"" + name + "\" frames the message; Sluice sets it itself");
                }
            }
            for (String name : remove) {
                if (FRAMING.contains(name.toLowerCase(Locale.ROOT))) {
                    node.error("remove", "\"" + name + "\" frames the message; Sluice sets it itself");
                }
            }
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
        if (buffering) {
            node.error("buffering", "only false (streaming) is supported");
        }
        List<Cidr> trustedProxies = new ArrayList<>();
        for (String block : node.strings("trusted-proxies", List.of())) {
            try {
                trustedProxies.add(Cidr.parse(block));
            } catch (IllegalArgumentException e) {
                node.error("trusted-proxies", "bad CIDR block \"" + block + "\": " + e.getMessage());
            }
        }
        boolean forwarded = node.bool("forwarded", false);
        boolean via = node.bool("via", false);
        ProxyCacheConfig cache = ProxyCacheConfig.read(node);
        node.finish();
        return new ProxyConfig(upstream, host, requestHeaders, responseHeaders, buffering,
                List.copyOf(trustedProxies), forwarded, via, cache);
    }
}
