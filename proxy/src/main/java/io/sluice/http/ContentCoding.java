package io.sluice.http;

import io.netty.util.AsciiString;

/**
 * The content codings Sluice compresses responses with, in the server's order of preference for when a
 * client weighs several equally: brotli compresses text best, zstd is fastest at a similar ratio, gzip is
 * understood everywhere.
 */
public enum ContentCoding {
    BROTLI("br"),
    ZSTD("zstd"),
    GZIP("gzip");

    private final AsciiString token;

    ContentCoding(String token) {
        this.token = AsciiString.cached(token);
    }

    /** The coding's name in {@code Accept-Encoding} and {@code Content-Encoding}. */
    public AsciiString token() {
        return token;
    }
}
