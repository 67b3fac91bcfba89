package io.sluice.http;

import io.netty.handler.codec.http.HttpContent;

/** Per-request callbacks, all on the connection's event loop. */
public interface ExchangeListener {

    /** A listener for handlers that never read the request body: the dispatcher discards it. */
    ExchangeListener IGNORE_BODY = new ExchangeListener() {
    };

    /**
     * A piece of the request body, delivered after {@link Exchange#readBody()}; the listener owns it and
     * must release it. The last piece is a {@link io.netty.handler.codec.http.LastHttpContent}.
     */
    default void onContent(HttpContent content) {
        content.release();
    }

    /** The client connection's writability changed: resume or pause the producer of the response. */
    default void onWritabilityChanged(boolean writable) {
    }

    /**
     * The exchange ended before the handler finished it (the client closed, a limit or timeout hit):
     * release what the exchange holds and stop writing.
     */
    default void onAbort() {
    }

    /**
     * {@code listener} for an exchange decorator that must let go of its own state when the exchange is
     * aborted, before the handler hears of it: {@code beforeAbort} runs first, everything else is passed on.
     */
    static ExchangeListener abortingFirst(ExchangeListener listener, Runnable beforeAbort) {
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
                beforeAbort.run();
                listener.onAbort();
            }
        };
    }
}
