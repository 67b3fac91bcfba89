package io.sluice.routing;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.config.LocationConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeListener;
import io.sluice.http.ExchangeNotes;
import io.sluice.ratelimit.InFlight;

import java.net.InetSocketAddress;

/**
 * An exchange that holds a {@code limit-conn} slot and gives it back exactly once when the exchange ends:
 * when the handler hands the response's last piece to the connection, aborts, or the dispatcher reports
 * the exchange gone ({@link ExchangeListener#onAbort}); a WebSocket tunnel keeps its slot until its
 * connection closes. Everything else passes through. All calls are on the exchange's event loop.
 */
final class InFlightExchange implements Exchange {
    private final Exchange exchange;
    private final InFlight slot;
    private boolean released;

    InFlightExchange(Exchange exchange, InFlight slot) {
        this.exchange = exchange;
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
        return new ExchangeListener() {
            @Override
            public void onContent(HttpContent content) {
                listener.onContent(content);
            }

            @Override
            public void onWritabilityChanged(boolean writable) {
                listener.onWritabilityChanged(writable);
            }

            @Override
            public void onAbort() {
                release();
                listener.onAbort();
            }
        };
    }

    @Override
    public ChannelFuture write(Object message) {
        ChannelFuture future = exchange.write(message);
        if (message instanceof LastHttpContent) {
            release();
        }
        return future;
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        ChannelFuture future = exchange.writeAndFlush(message);
        if (message instanceof LastHttpContent) {
            release();
        }
        return future;
    }

    @Override
    public void abort(String reason) {
        release();
        exchange.abort(reason);
    }

    @Override
    public void upgradeToTunnel(HttpResponse switchingProtocols) {
        exchange.channel().closeFuture().addListener(closed -> release());
        exchange.upgradeToTunnel(switchingProtocols);
    }

    @Override
    public Channel channel() {
        return exchange.channel();
    }

    @Override
    public HttpRequest request() {
        return exchange.request();
    }

    @Override
    public String host() {
        return exchange.host();
    }

    @Override
    public String path() {
        return exchange.path();
    }

    @Override
    public LocationConfig location() {
        return exchange.location();
    }

    @Override
    public InetSocketAddress clientAddress() {
        return exchange.clientAddress();
    }

    @Override
    public boolean secure() {
        return exchange.secure();
    }

    @Override
    public ExchangeNotes notes() {
        return exchange.notes();
    }

    @Override
    public long startNanos() {
        return exchange.startNanos();
    }

    @Override
    public void readBody() {
        exchange.readBody();
    }

    @Override
    public boolean bodyPending() {
        return exchange.bodyPending();
    }

    @Override
    public void flush() {
        exchange.flush();
    }

    @Override
    public boolean writable() {
        return exchange.writable();
    }

    @Override
    public boolean rewritesBody() {
        return exchange.rewritesBody();
    }
}
