package io.sluice.http;

import io.sluice.config.CompressionConfig;

/**
 * Compresses the responses of another handler on the fly, per the location's {@code compression} block:
 * the inner handler writes through a {@link CompressingExchange} and never knows.
 */
public final class CompressingHandler implements ExchangeHandler {
    private final ExchangeHandler inner;
    private final ResponseCompression compression;

    private CompressingHandler(ExchangeHandler inner, ResponseCompression compression) {
        this.inner = inner;
        this.compression = compression;
    }

    /** {@code inner} itself when compression is off or none of the configured codings can load. */
    public static ExchangeHandler decorate(ExchangeHandler inner, CompressionConfig config) {
        if (!config.enabled()) {
            return inner;
        }
        ResponseCompression compression = new ResponseCompression(config);
        return compression.active() ? new CompressingHandler(inner, compression) : inner;
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        CompressingExchange compressing = new CompressingExchange(exchange, compression);
        return ExchangeListener.abortingFirst(inner.start(compressing), compressing::discardEncoder);
    }
}
