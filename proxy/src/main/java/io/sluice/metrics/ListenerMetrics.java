package io.sluice.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;

/** Connections and TLS handshakes of one listen address. */
public final class ListenerMetrics {
    private final GaugeDataPoint active;
    private final CounterDataPoint total;
    private final CounterDataPoint handshakes;
    private final CounterDataPoint handshakeFailures;

    ListenerMetrics(GaugeDataPoint active, CounterDataPoint total, CounterDataPoint handshakes,
                    CounterDataPoint handshakeFailures) {
        this.active = active;
        this.total = total;
        this.handshakes = handshakes;
        this.handshakeFailures = handshakeFailures;
    }

    public void connectionOpened() {
        total.inc();
        active.inc();
    }

    public void connectionClosed() {
        active.dec();
    }

    public void handshake(boolean succeeded) {
        (succeeded ? handshakes : handshakeFailures).inc();
    }
}
