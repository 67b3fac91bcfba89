package io.sluice.http;

import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.Zstd;
import io.sluice.config.CompressionConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which configured codings this process can produce: gzip always (the JDK's zlib), brotli and zstd only
 * when their native libraries (brotli4j, zstd-jni) load on this platform. A configured coding that cannot
 * load is left out, with one warning per process.
 */
final class CodingSupport {
    private static final Logger log = LoggerFactory.getLogger(CodingSupport.class);
    private static final AtomicBoolean brotliWarned = new AtomicBoolean();
    private static final AtomicBoolean zstdWarned = new AtomicBoolean();

    private CodingSupport() {
    }

    static Set<ContentCoding> offered(CompressionConfig config) {
        Set<ContentCoding> offered = EnumSet.noneOf(ContentCoding.class);
        if (config.brotli()) {
            if (Brotli.isAvailable()) {
                offered.add(ContentCoding.BROTLI);
            } else if (!brotliWarned.getAndSet(true)) {
                log.warn("brotli compression is configured but brotli4j cannot load here ({}); using the other codings",
                        Brotli.cause());
            }
        }
        if (config.zstd()) {
            if (Zstd.isAvailable()) {
                offered.add(ContentCoding.ZSTD);
            } else if (!zstdWarned.getAndSet(true)) {
                log.warn("zstd compression is configured but zstd-jni cannot load here ({}); using the other codings",
                        Zstd.cause());
            }
        }
        if (config.gzip()) {
            offered.add(ContentCoding.GZIP);
        }
        return offered;
    }
}
