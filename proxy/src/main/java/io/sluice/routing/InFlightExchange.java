package io.sluice.routing;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeListener;
import io.sluice.http.ForwardingExchange;
import io.sluice.ratelimit.InFlight;

/**
 * An exchange that holds a {@code limit-conn} slot and gives it back exactly once when the exchange ends:
 * when the handler hands the response's last piece to the connection, aborts, or the dispatcher reports
 * the exchange gone ({@link ExchangeListener#onAbort}); a WebSocket tunnel keeps its slot until its
 * connection closes. Everything else passes through. All calls are on the exchange's event loop.
 */
final class InFlightExchange extends ForwardingExchange {
    private final InFlight slot;
    private boolean released;

    InFlightExchange(Exchange exchange, InFlight slot) {
        super(exchange);
        this.slot = slot;
    }

    void release() {
        if (!released) {
            released = true;
            slot.release();
        }
    }

    /** The listener the dispatcher gets: the handler's, releasing the slot when the exchange is aborted. */
    ExchangeListener listen(ExchangeListener listener) {
        return ExchangeListener.abortingFirst(listener, this::release);
    }

    @Override
    public ChannelFuture write(Object message) {
        ChannelFuture future = delegate.write(message);
        if (message instanceof LastHttpContent) {
            release();
        }
        return future;
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        ChannelFuture future = delegate.writeAndFlush(message);
        if (message instanceof LastHttpContent) {
            release();
        }
        return future;
    }

    @Override
    public void abort(String reason) {
        release();
        delegate.abort(reason);
    }

    @Override
    public void upgradeToTunnel(HttpResponse switchingProtocols) {
        delegate.channel().closeFuture().addListener(closed -> release());
        delegate.upgradeToTunnel(switchingProtocols);
    }














}
