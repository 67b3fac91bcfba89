package io.sluice.http;

/**
 * What a handler learned while serving one exchange, for the access log, metrics and the exchanges
 * wrapped around the handler's (the response cache): written by the handler on the event loop. Fields stay unset ({@code null} / -1)
 * when they do not apply, e.g. no upstream for a static file.
 */
public final class ExchangeNotes {
    /** The upstream server that answered, {@code host:port}. */
    public String upstreamAddress;
    /** The upstream's status code, or -1. */
    public int upstreamStatus = -1;
    /** Nanoseconds from sending the request upstream to its response head, or -1. */
    public long upstreamResponseNanos = -1;
    /** How many upstream attempts were made (retries + 1), or 0 when none. */
    public int upstreamAttempts;
    /**
     * The upstream ends the response body by closing its connection (neither a length nor chunked). The
     * client gets the body framed, so only this says that a close cut short looks like a whole body.
     */
    public boolean upstreamBodyEndsWithClose;
}
