package io.sluice.upstream;

import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;

/** The HTTP/1.1 codec of upstream connections: as strict about framing as the client side. */
final class UpstreamCodecs {
    /** Response body pieces are handed on at most this size, bounding what one read pins. */
    static final int MAX_CHUNK_SIZE = 64 * 1024;

    private UpstreamCodecs() {
    }

    static HttpClientCodec clientCodec() {
        // an upstream response with ambiguous framing (Content-Length with Transfer-Encoding, two lengths)
        // fails decoding and becomes a 502: passing it on would let the two hops disagree on its end
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false);
        return new HttpClientCodec(config, false, false);
    }
}
