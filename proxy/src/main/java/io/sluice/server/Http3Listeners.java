package io.sluice.server;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.quic.Quic;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.config.ListenConfig;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.AlternativeServices;
import io.sluice.http.ConnectionEvent;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.routing.Router;
import io.sluice.tls.QuicCertificates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The HTTP/3 listeners of a running Sluice, by socket key ({@code udp/host:port}), and the {@code Alt-Svc}
 * values that advertise them. QUIC needs Netty's native quiche library; where it cannot load (a platform
 * without a bundled build, such as musl libc) the HTTP/3 listeners are left out with one warning and Sluice
 * serves on its TCP listeners alone, without advertising HTTP/3.
 */
final class Http3Listeners {
    private static final Logger log = LoggerFactory.getLogger(Http3Listeners.class);

    private final Map<String, Http3Listener> listeners = new LinkedHashMap<>();
    private final AlternativeServices alternatives = new AlternativeServices();
    private final Supplier<Throwable> unavailability;
    private final Transports transports;
    private final MultiThreadIoEventLoopGroup workers;
    private final OpenConnections connections;
    private final Supplier<Router> router;
    private final SluiceMetrics metrics;
    private boolean unavailabilityLogged;

    /** {@code unavailability} says why QUIC cannot be used, or {@code null} when it can. */
    Http3Listeners(Supplier<Throwable> unavailability, Transports transports, MultiThreadIoEventLoopGroup workers,
                   OpenConnections connections, Supplier<Router> router, SluiceMetrics metrics) {
        this.unavailability = unavailability;
        this.transports = transports;
        this.workers = workers;
        this.connections = connections;
        this.router = router;
        this.metrics = metrics;
    }

    /** Why Netty's native QUIC cannot be used here, or {@code null} when it can. */
    static Throwable nativeUnavailability() {
        return Quic.isAvailable() ? null : Quic.unavailabilityCause();
    }

    AlternativeServices alternatives() {
        return alternatives;
    }

    /** The http3 listen addresses of a configuration by socket key, each with the server blocks on it. */
    static Map<String, List<ServerConfig>> wanted(SluiceConfig config) {
        Map<String, List<ServerConfig>> wanted = new LinkedHashMap<>();
        for (ServerConfig server : config.servers()) {
            for (ListenConfig listen : server.listen()) {
                if (listen.http3()) {
                    wanted.computeIfAbsent(listen.socketKey(), key -> new ArrayList<>()).add(server);
                }
            }
        }
        return wanted;
    }

    /**
     * Binds the http3 listeners of {@code config} that are not bound yet, reading their certificates on the
     * calling thread (never an event loop). On a failure the ones bound by this call are closed again.
     *
     * @return the socket keys bound
     */
    synchronized List<String> bindMissing(SluiceConfig config) throws InterruptedException {
        Map<String, List<ServerConfig>> wanted = wanted(config);
        wanted.keySet().removeAll(listeners.keySet());
        if (wanted.isEmpty() || !available(wanted)) {
            return List.of();
        }
        List<String> added = new ArrayList<>();
        try {
            for (Map.Entry<String, List<ServerConfig>> entry : wanted.entrySet()) {
                ListenConfig listen = entry.getValue().get(0).listen().stream()
                        .filter(candidate -> candidate.socketKey().equals(entry.getKey())).findFirst().orElseThrow();
                ChannelGroup listenerConnections = new DefaultChannelGroup(entry.getKey(), GlobalEventExecutor.INSTANCE);
                Http3Listener listener = new Http3Listener(listen, listenerConnections);
                QuicConnectionAdmission admission = new QuicConnectionAdmission(
                        new ConnectionAdmission(metrics.listener(entry.getKey()), connections), listenerConnections);
                listener.bind(QuicCertificates.forServers(entry.getValue()), config.http3(), transports, workers,
                        new Http3ChannelInitializer(listen.address().toString(), admission, router, listener::accepting));
                listeners.put(entry.getKey(), listener);
                added.add(entry.getKey());
            }
        } catch (RuntimeException | InterruptedException e) {
            added.forEach(key -> listeners.remove(key).close());
            throw e;
        }
        return added;
    }

    private boolean available(Map<String, List<ServerConfig>> wanted) {
        Throwable cause = unavailability.get();
        if (cause == null) {
            return true;
        }
        if (!unavailabilityLogged) {
            unavailabilityLogged = true;
            log.warn("HTTP/3 is off: Netty's native QUIC library cannot load here ({}); not listening on {}",
                    cause.toString(), wanted.keySet());
        }
        return false;
    }

    /**
     * Stops the listeners {@code config} no longer has: they take no new connection, their connections
     * drain (GOAWAY, open requests finish), and their sockets close once the last one has.
     *
     * @return the socket keys stopped
     */
    synchronized List<String> retireRemoved(SluiceConfig config) {
        Map<String, List<ServerConfig>> wanted = wanted(config);
        List<String> removed = new ArrayList<>();
        for (String key : List.copyOf(listeners.keySet())) {
            if (!wanted.containsKey(key)) {
                Http3Listener listener = listeners.remove(key);
                listener.stopAccepting();
                listener.connections().forEach(channel -> channel.pipeline().fireUserEventTriggered(ConnectionEvent.DRAIN));
                listener.connections().newCloseFuture().addListener(drained -> listener.close());
                removed.add(key);
            }
        }
        return removed;
    }

    /**
     * Reads the certificates of every bound listener again, as {@code config} names them, when the TLS
     * listeners' certificates were (files changed on disk, or a reload): otherwise a renewed certificate
     * would reach HTTP/3 clients only after a restart. Runs off the event loops; a listener whose
     * certificates cannot be read keeps the ones it has.
     */
    synchronized void reloadCertificates(SluiceConfig config) {
        Map<String, List<ServerConfig>> wanted = wanted(config);
        listeners.forEach((key, listener) -> {
            List<ServerConfig> servers = wanted.get(key);
            if (servers == null) {
                return;
            }
            try {
                listener.replaceCertificates(QuicCertificates.forServers(servers));
            } catch (RuntimeException e) {
                log.error("tls: HTTP/3 certificates of {} not reloaded, the previous ones stay in service: {}", key,
                        e.getMessage());
            }
        });
    }

    /** Publishes the {@code Alt-Svc} values of {@code config} for the listeners bound now. */
    synchronized void advertise(SluiceConfig config) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        listeners.values().forEach(listener -> ports.put(listener.config().address().toString(), listener.port()));
        alternatives.publish(config, ports);
    }

    /** The bound port of every listener by socket key. */
    synchronized Map<String, Integer> boundPorts() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        listeners.forEach((key, listener) -> ports.put(key, listener.port()));
        return ports;
    }

    synchronized int socketCount() {
        return listeners.values().stream().mapToInt(Http3Listener::socketCount).sum();
    }

    /** Shutdown's first step: no new connections, while those open drain through the still open sockets. */
    synchronized void stopAccepting() {
        listeners.values().forEach(Http3Listener::stopAccepting);
    }

    synchronized void close() {
        listeners.values().forEach(Http3Listener::close);
        listeners.clear();
    }
}
