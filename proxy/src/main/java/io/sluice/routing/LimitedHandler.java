package io.sluice.routing;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.config.LimitConnConfig;
import io.sluice.config.RateLimitConfig;
import io.sluice.http.ErrorResponses;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;
import io.sluice.metrics.LimitMetrics;
import io.sluice.ratelimit.InFlight;
import io.sluice.ratelimit.RateLimitZone;
import io.sluice.ratelimit.RequestRate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A location's {@code rate-limit} and {@code limit-conn}, in front of its handler. A request over the rate
 * is answered at once (429 and {@code Retry-After} by default) and the handler never starts; then a request
 * over its key's requests in progress is answered (503 by default); otherwise the handler starts, at once
 * or, inside a burst without {@code nodelay} (past its {@code delay}), when the request conforms to the
 * rate. A request whose key is empty is not limited.
 */
final class LimitedHandler implements ExchangeHandler {
    private static final Logger log = LoggerFactory.getLogger(LimitedHandler.class);

    /** The {@code rate-limit} of a location and its zone. */
    record RateLimit(RateLimitConfig config, RequestRate rate, RateLimitZone zone, RefusalLog refusals) {
    }

    /** The {@code limit-conn} of a location and its zone. */
    record ConnLimit(LimitConnConfig config, RateLimitZone zone, RefusalLog refusals) {
    }

    private final ExchangeHandler handler;
    private final RateLimit rateLimit;
    private final ConnLimit connLimit;
    private final LimitMetrics metrics;

    /** {@code rateLimit} or {@code connLimit} is null when the location does not have it. */
    LimitedHandler(ExchangeHandler handler, RateLimit rateLimit, ConnLimit connLimit, LimitMetrics metrics) {
        this.handler = handler;
        this.rateLimit = rateLimit;
        this.connLimit = connLimit;
        this.metrics = metrics;
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        long delayNanos = 0;
        if (rateLimit != null) {
            String key = LimitKeys.evaluate(rateLimit.config().key(), exchange);
            if (!key.isEmpty()) {
                long decision = rateLimit.zone().admit(key, rateLimit.rate());
                if (RequestRate.refused(decision)) {
                    metrics.rateRefused();
                    rateLimit.refusals().refused(exchange.clientAddress());
                    return refuse(exchange, rateLimit.config().status(), RequestRate.retryAfterNanos(decision));
                }
                delayNanos = rateLimit.rate().delayNanos(decision, rateLimit.config().undelayed());
            }
        }
        InFlightExchange holding = null;
        if (connLimit != null) {
            String key = LimitKeys.evaluate(connLimit.config().key(), exchange);
            if (!key.isEmpty()) {
                InFlight slot = connLimit.zone().tryAcquire(key, connLimit.config().max());
                if (slot == null) {
                    metrics.connRefused();
                    connLimit.refusals().refused(exchange.clientAddress());
                    return refuse(exchange, connLimit.config().status(), 0);
                }
                holding = new InFlightExchange(exchange, slot);
            }
        }
        Exchange served = holding == null ? exchange : holding;
        ExchangeListener listener;
        if (delayNanos > 0) {
            metrics.rateDelayed();
            listener = DelayedStart.schedule(handler, served, delayNanos);
        } else {
            try {
                listener = handler.start(served);
            } catch (RuntimeException e) {
                if (holding != null) {
                    holding.release();
                }
                throw e;
            }
        }
        return holding == null ? listener : holding.listen(listener);
    }

    /** Starts {@code handler} outside the dispatcher's call (after a delay): a failure closes the connection. */
    static ExchangeListener startOrAbort(ExchangeHandler handler, Exchange exchange) {
        try {
            return handler.start(exchange);
        } catch (RuntimeException e) {
            log.error("handler for {} failed", exchange.location() == null ? exchange.path()
                    : exchange.location().configPath(), e);
            exchange.abort("handler failed: " + e);
            return ExchangeListener.IGNORE_BODY;
        }
    }

    private static ExchangeListener refuse(Exchange exchange, int status, long retryAfterNanos) {
        FullHttpResponse response = ErrorResponses.of(exchange.channel().alloc(), HttpResponseStatus.valueOf(status), false);
        if (retryAfterNanos > 0) {
            long seconds = Math.max(1, (retryAfterNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
            response.headers().set(HttpHeaderNames.RETRY_AFTER, seconds);
        }
        exchange.writeAndFlush(response);
        return ExchangeListener.IGNORE_BODY;
    }
}
