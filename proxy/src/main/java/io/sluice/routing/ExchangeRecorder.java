package io.sluice.routing;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.accesslog.AccessLog;
import io.sluice.accesslog.AccessLogEntry;
import io.sluice.http.ExchangeNotes;
import io.sluice.metrics.LocationMetrics;
import io.sluice.metrics.ProtocolMetrics;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * What is recorded when an exchange of one location ends: its metrics and its server block's access log
 * line. Resolved once per configuration load, so the request path only increments pre-resolved counters
 * and hands one entry to the log writer.
 */
public final class ExchangeRecorder {
    private final String server;
    private final String location;
    private final LocationMetrics metrics;
    private final ProtocolMetrics protocols;
    private final AccessLog accessLog;
    private final String[] headerNames;

    ExchangeRecorder(String server, String location, LocationMetrics metrics, ProtocolMetrics protocols,
                     AccessLog accessLog) {
        this.server = server;
        this.location = location;
        this.metrics = metrics;
        this.protocols = protocols;
        this.accessLog = accessLog;
        List<String> names = accessLog == null ? List.of() : accessLog.headerNames();
        this.headerNames = names.toArray(String[]::new);
    }

    /** Called once per exchange, on its event loop, when the response's last byte is handed to the socket or the exchange is aborted. */
    void record(HttpRequest request, String protocol, InetSocketAddress client, String host, int status, long requestBodyBytes,
                long responseBodyBytes, long durationNanos, ExchangeNotes notes) {
        metrics.record(status, durationNanos, requestBodyBytes, responseBodyBytes);
        protocols.requestAnswered(protocol);
        if (accessLog == null) {
            return;
        }
        String[] headers = new String[headerNames.length];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = request.headers().get(headerNames[i]);
        }
        accessLog.log(new AccessLogEntry(System.currentTimeMillis(),
                client == null ? null : client.getAddress().getHostAddress(), client == null ? -1 : client.getPort(),
                request.method().name(), request.uri(), protocol, host, headers, status,
                responseBodyBytes, requestBodyBytes, durationNanos, server, location,
                notes == null ? null : notes.upstreamAddress, notes == null ? -1 : notes.upstreamStatus,
                notes == null ? -1 : notes.upstreamResponseNanos));
    }
}
