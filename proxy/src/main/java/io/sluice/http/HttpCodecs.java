package io.sluice.http;

import io.sluice.config.LimitsConfig;

/** The strict HTTP/1.1 decoder settings Sluice uses on every client connection. */
public final class HttpCodecs {
    /** Body chunks are handed on at most this size, which bounds the memory one read can pin. */
    public static final int MAX_CHUNK_SIZE = 64 * 1024;

    private HttpCodecs() {
    }

    public static Http1ServerCodec serverCodec(LimitsConfig limits) {
        return new Http1ServerCodec(limits.maxInitialLine(), limits.maxHeaderSize(), MAX_CHUNK_SIZE);
    }
}
