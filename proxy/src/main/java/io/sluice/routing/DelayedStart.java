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
    private final ScheduledFuture<?> timer;
    private ExchangeListener started;
    private boolean aborted;

    DelayedStart(ExchangeHandler handler, Exchange exchange, long delayNanos) {
        this.handler = handler;
        this.exchange = exchange;
        this.timer = exchange.channel().eventLoop().schedule(this::start, delayNanos, TimeUnit.NANOSECONDS);
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
