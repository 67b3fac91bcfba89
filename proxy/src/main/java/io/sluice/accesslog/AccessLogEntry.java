package io.sluice.accesslog;

/**
 * The facts of one finished exchange, captured on the event loop from objects that already exist (no
 * formatting there); the writer thread turns it into a line. {@code headers} holds the values of the
 * request headers the format asks for, in {@link AccessLogFormat#headerNames()} order ({@code null} when
 * absent). Numbers that do not apply are -1, strings {@code null}.
 */
public record AccessLogEntry(long timeMillis, String remoteAddr, int remotePort, String method, String uri,
                             String protocol, String host, String[] headers, int status, long bodyBytesSent,
                             long requestLength, long requestNanos, String server, String location,
                             String upstreamAddr, int upstreamStatus, long upstreamResponseNanos) {
}
