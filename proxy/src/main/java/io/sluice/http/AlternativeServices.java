package io.sluice.http;

import io.sluice.config.ListenConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.HashMap;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code Alt-Svc} header (RFC 7838) that a server block's responses on its TLS listeners carry when the
 * block also listens for HTTP/3: {@code h3=":8443"; ma=86400} per UDP port, which is how browsers learn
 * they may switch to QUIC. Ports are the bound ones (a configured port 0 is only known then), so the server
 * publishes the values after binding, again after each reload; requests read them without locking.
 */
public final class AlternativeServices {
    /** How long (seconds) a client may remember the advertisement: one day, as is common. */
    static final long MAX_AGE = 86400;

    private volatile Map<String, String> byServer = Map.of();

    /** The header value for a server block, or {@code null} when it has no bound HTTP/3 listener. */
    public String headerFor(ServerConfig server) {
        return byServer.get(server.configPath());
    }

    /** Publishes the values of {@code config}'s blocks; {@code boundPorts} maps http3 listen addresses (as configured) to ports. */
    public void publish(SluiceConfig config, Map<String, Integer> boundPorts) {
        Map<String, String> values = new HashMap<>();
        for (ServerConfig server : config.servers()) {
            Set<Integer> ports = new LinkedHashSet<>();
            for (ListenConfig listen : server.listen()) {
                Integer port = listen.http3() ? boundPorts.get(listen.address().toString()) : null;
                if (port != null) {
                    ports.add(port);
                }
            }
            if (!ports.isEmpty()) {
                values.put(server.configPath(), ports.stream()
                        .map(port -> "h3=\":" + port + "\"; ma=" + MAX_AGE)
                        .collect(Collectors.joining(", ")));
            }
        }
        byServer = Map.copyOf(values);
    }
}
