package io.sluice.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * Connections and TLS handshakes of one listen address, recorded from every loop that accepts on it.
 * The open-connection count is a striped adder read when scraped, so loops never contend on one word.
 */
public final class ListenerMetrics {
    private final LongAdder active = new LongAdder();
    private final Counter.Point total;
    private final Counter.Point handshakes;
    private final Counter.Point handshakeFailures;

    ListenerMetrics(Counter.Point total, Counter.Point handshakes, Counter.Point handshakeFailures) {
        this.total = total;
        this.handshakes = handshakes;
        this.handshakeFailures = handshakeFailures;
    }

    public void connectionOpened() {
        total.inc();
        active.increment();
    }

    public void connectionClosed() {
        active.decrement();
    }

    /** For the TLS layer: one finished handshake. */
    public void handshake(boolean succeeded) {
        (succeeded ? handshakes : handshakeFailures).inc();
    }

    long active() {
        return active.sum();
    }
}
