package io.sluice.balance;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every event loop shares about one upstream server: requests in flight, passive-health bookkeeping,
 * the active-check verdict, an operator's drain and when it last recovered. One object per server and not per server set, so
 * that when a group's servers change (DNS answered differently) a server in both sets keeps its state,
 * and requests still running on the old set count against the same numbers as new ones.
 */
final class ServerState {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger fails = new AtomicInteger();
    final AtomicLong failWindowStart = new AtomicLong();
    final AtomicLong outUntil = new AtomicLong();
    final AtomicInteger probation = new AtomicInteger();
    final AtomicInteger checkedDown = new AtomicInteger();
    /** 1 while an operator has drained the server (admin API): no new requests, in-flight ones finish. */
    final AtomicInteger drained = new AtomicInteger();
    final AtomicLong recoveredAt;

    ServerState(long recoveredAtNanos) {
        this.recoveredAt = new AtomicLong(recoveredAtNanos);
    }
}
