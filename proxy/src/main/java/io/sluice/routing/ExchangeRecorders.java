package io.sluice.routing;

import io.sluice.accesslog.AccessLog;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.LocationConfig;
import io.sluice.config.ServerConfig;
import io.sluice.metrics.SluiceMetrics;

/** Builds the {@link ExchangeRecorder} of each location when a configuration is compiled. */
public final class ExchangeRecorders {
    /** The location label of requests that no location matched. */
    static final String NO_LOCATION = "-";

    private final SluiceMetrics metrics;
    private final AccessLogWriter accessLogWriter;

    public ExchangeRecorders(SluiceMetrics metrics, AccessLogWriter accessLogWriter) {
        this.metrics = metrics;
        this.accessLogWriter = accessLogWriter;
    }

    /** The recorder of a location, or of the server block's unmatched requests when {@code location} is null. */
    ExchangeRecorder create(ServerConfig server, LocationConfig location) {
        String serverLabel = serverLabel(server);
        String locationLabel = location == null ? NO_LOCATION : location.match().toString();
        AccessLog accessLog = accessLogWriter.target(server.accessLog());
        return new ExchangeRecorder(serverLabel, locationLabel, metrics.location(serverLabel, locationLabel),
                metrics.protocols(), accessLog);
    }

    /** How metrics and logs name a server block: its first server name, else its place in the file. */
    public static String serverLabel(ServerConfig server) {
        return server.serverNames().isEmpty() ? server.configPath() : server.serverNames().get(0);
    }
}
