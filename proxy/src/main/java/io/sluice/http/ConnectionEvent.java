package io.sluice.http;

/** Events the server fires into client connections. */
public enum ConnectionEvent {
    /** Shutting down: close when idle, and after the response in flight (with {@code Connection: close}). */
    DRAIN
}
