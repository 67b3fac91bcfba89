package io.sluice.routing;

import io.netty.handler.codec.http.HttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;

import java.util.concurrent.TimeUnit;

/**
 * A request inside its {@code rate-limit} burst held back until it conforms to the rate (nginx's
 * behaviour without {@code nodelay}): the handler starts from a timer on the exchange's event loop, so
 * no thread waits. Until then the request body stays unread, and a client that goes away cancels the
 * timer.
 */
final class DelayedStart implements ExchangeListener {
    private final ExchangeHandler handler;
    private final Exchange exchange;
    private ScheduledFuture<?> timer;
    private ExchangeListener started;
    private boolean aborted;

    private DelayedStart(ExchangeHandler handler, Exchange exchange) {
        this.handler = handler;
        this.exchange = exchange;
    }

    /** Starts {@code handler} on {@code exchange} in {@code delayNanos}; the listener stands in for it until then. */
    static DelayedStart schedule(ExchangeHandler handler, Exchange exchange, long delayNanos) {
        DelayedStart delayed = new DelayedStart(handler, exchange);
        delayed.timer = exchange.channel().eventLoop().schedule(delayed::start, delayNanos, TimeUnit.NANOSECONDS);
        return delayed;
    }

    private void start() {
        if (!aborted) {
            started = LimitedHandler.startOrAbort(handler, exchange);
        }
    }

    @Override
    public void onContent(HttpContent content) {
        if (started != null) {
            started.onContent(content);
        } else {
            content.release();
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (started != null) {
            started.onWritabilityChanged(writable);
        }
    }

    @Override
    public void onAbort() {
        if (started != null) {
            started.onAbort();
        } else {
            aborted = true;
            timer.cancel(false);
        }
    }
}
