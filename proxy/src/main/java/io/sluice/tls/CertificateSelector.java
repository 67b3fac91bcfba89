package io.sluice.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Picks the certificate context for a TLS handshake on one listen address by its SNI name: an exact
 * name, then the longest matching wildcard, then the default (the first certificate of the first server
 * block on the address, also used when the client sends no SNI). Names come from the certificates' DNS
 * subject alternative names and from the server blocks' {@code server-names}.
 *
 * <p>The current {@link Generation} is replaced as a whole on reload. {@link #map} runs on an event loop
 * and creates the {@code SSLEngine} in the same task, so the engine holds its own reference to the
 * context before the loop runs anything else; {@link TlsContexts} releases a replaced generation only
 * after every loop has run a task queued after the swap.
 */
final class CertificateSelector implements Mapping<String, SslContext> {
    private volatile Generation current;

    CertificateSelector(Generation initial) {
        this.current = initial;
    }

    /**
     * A selector whose first generation comes later, by {@link #swap}: at start a TLS listener binds while
     * its contexts are still being built, and accepts no connection before they are in place.
     */
    CertificateSelector() {
    }

    @Override
    public SslContext map(String serverName) {
        return current.select(serverName);
    }

    Generation swap(Generation next) {
        Generation previous = current;
        current = next;
        return previous;
    }

    Generation current() {
        return current;
    }

    /** The contexts of one address built from one configuration and one state of the certificate files. */
    static final class Generation {
        private final SslContext defaultContext;
        private final Map<String, SslContext> exact = new HashMap<>();
        private final List<Map.Entry<String, SslContext>> wildcardsLongestFirst = new ArrayList<>();
        private final List<SslContext> contexts;

        /** {@code names} maps each context to the names it serves, in priority order; the first is the default. */
        Generation(List<Map.Entry<SslContext, List<String>>> names, List<SslContext> contexts) {
            this.contexts = List.copyOf(contexts);
            this.defaultContext = names.get(0).getKey();
            Map<String, SslContext> wildcards = new HashMap<>();
            for (Map.Entry<SslContext, List<String>> entry : names) {
                for (String name : entry.getValue()) {
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("*.")) {
                        wildcards.putIfAbsent(lower.substring(1), entry.getKey());
                    } else {
                        exact.putIfAbsent(lower, entry.getKey());
                    }
                }
            }
            wildcardsLongestFirst.addAll(wildcards.entrySet());
            wildcardsLongestFirst.sort(Comparator.comparingInt((Map.Entry<String, SslContext> e) -> e.getKey().length())
                    .reversed());
        }

        SslContext select(String serverName) {
            if (serverName == null || serverName.isEmpty()) {
                return defaultContext;
            }
            String host = serverName.toLowerCase(Locale.ROOT);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            SslContext found = exact.get(host);
            if (found != null) {
                return found;
            }
            for (Map.Entry<String, SslContext> wildcard : wildcardsLongestFirst) {
                String suffix = wildcard.getKey();
                if (host.length() > suffix.length() && host.endsWith(suffix)) {
                    return wildcard.getValue();
                }
            }
            return defaultContext;
        }

        List<SslContext> contexts() {
            return contexts;
        }
    }
}
