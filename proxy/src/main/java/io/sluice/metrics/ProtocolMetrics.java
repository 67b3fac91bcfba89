package io.sluice.metrics;

/**
 * Requests answered per protocol the client spoke ({@code HTTP/1.0}, {@code HTTP/1.1}, {@code HTTP/2.0},
 * {@code HTTP/3.0}, as access logs write it), on data points resolved once, so counting costs no label
 * look-up.
 */
public final class ProtocolMetrics {
    private final Counter.Point http10;
    private final Counter.Point http11;
    private final Counter.Point http2;
    private final Counter.Point http3;

    ProtocolMetrics(Counter.Point http10, Counter.Point http11, Counter.Point http2, Counter.Point http3) {
        this.http10 = http10;
        this.http11 = http11;
        this.http2 = http2;
        this.http3 = http3;
    }

    public void requestAnswered(String protocol) {
        switch (protocol) {
            case "HTTP/1.1" -> http11.inc();
            case "HTTP/2.0" -> http2.inc();
            case "HTTP/3.0" -> http3.inc();
            case "HTTP/1.0" -> http10.inc();
            default -> {
                // a request line with another version is refused (505) and counted nowhere here
            }
        }
    }
}
