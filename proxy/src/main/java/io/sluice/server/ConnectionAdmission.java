package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.sluice.metrics.ListenerMetrics;

/**
 * Where every connection accepted on one listen address starts: counted in the address's metrics, then
 * admitted into the {@link OpenConnections} or refused. One instance serves all the address's connections
 * as the listener of their close futures, so tracking a connection adds nothing to its pipeline: no
 * handler context, no event passing through it on every open and close.
 */
final class ConnectionAdmission implements ChannelFutureListener {
    private final ListenerMetrics metrics;
    private final OpenConnections open;

    ConnectionAdmission(ListenerMetrics metrics, OpenConnections open) {
        this.metrics = metrics;
        this.open = open;
    }

    /** Counts a new connection and tells whether it may stay open; the caller closes one that may not. */
    boolean admit(Channel channel) {
        metrics.connectionOpened();
        boolean admitted = open.admit(channel);
        // last: on a connection that is closed already the listener runs at once, and must find it admitted
        channel.closeFuture().addListener(this);
        return admitted;
    }

    @Override
    public void operationComplete(ChannelFuture closed) {
        metrics.connectionClosed();
        open.closed(closed.channel());
    }
}
