package io.sluice.http;

/**
 * What a location does with a request (return a fixed answer, serve a file, proxy). One instance serves
 * every request of its location, on every event loop, so it holds no per-request state: that lives in
 * the {@link ExchangeListener} it returns.
 */
public interface ExchangeHandler {

    /** Starts serving {@code exchange} on its event loop; the listener receives what happens next. */
    ExchangeListener start(Exchange exchange);
}
