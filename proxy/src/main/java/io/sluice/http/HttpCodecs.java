package io.sluice.http;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.sluice.config.LimitsConfig;

/** The strict HTTP/1.1 decoder settings Sluice uses on every client connection. */
public final class HttpCodecs {
    /** Body chunks are handed on at most this size, which bounds the memory one read can pin. */
    public static final int MAX_CHUNK_SIZE = 64 * 1024;

    private HttpCodecs() {
    }

    public static Http1ServerCodec serverCodec(LimitsConfig limits) {
        // Header validation, strict CRLF line parsing and RFC 9112 Transfer-Encoding rules stay on: a proxy
        // that "repairs" an ambiguous message forwards something its peers may read another way.
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxInitialLine())
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false);
        return new Http1ServerCodec(config);
    }
}
