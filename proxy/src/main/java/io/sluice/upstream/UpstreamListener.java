package io.sluice.upstream;

/** What an upstream connection reports to the exchange it is serving; all calls on its event loop. */
interface UpstreamListener {

    /** A decoded response piece (head, content, or in tunnel mode never): the listener owns it. */
    void onUpstreamMessage(Object message);

    void onUpstreamReadComplete();

    void onUpstreamWritabilityChanged(boolean writable);

    /** The deadline the exchange set with {@link UpstreamConnection#deadline} has passed. */
    void onUpstreamDeadline();

    /**
     * The connection closed while serving the exchange.
     *
     * @param unprocessed the server said it did not process the request (an HTTP/2 stream refused, or beyond
     *                    the last one a GOAWAY named): it may be sent again whatever its method
     */
    void onUpstreamClosed(boolean unprocessed);

    /**
     * The connection closed because what the server sent for the exchange was invalid (an HTTP/2 stream
     * error Sluice found, or a connection error while the exchange was on it): that is the server's answer,
     * not a connection in doubt, so the request is not sent again.
     */
    void onUpstreamInvalidResponse(String reason);
}
