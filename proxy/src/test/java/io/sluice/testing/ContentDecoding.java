package io.sluice.testing;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.github.luben.zstd.ZstdInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;

/** Decodes response bodies by their Content-Encoding with the reference libraries: JDK zlib, brotli4j, zstd-jni. */
public final class ContentDecoding {

    private ContentDecoding() {
    }

    /** A stream of the decoded bytes of {@code encoded}, for bodies too large to hold. */
    public static InputStream decoding(String contentEncoding, InputStream encoded) throws IOException {
        return switch (contentEncoding) {
            case "gzip" -> new GZIPInputStream(encoded, 64 * 1024);
            case "br" -> {
                Brotli4jLoader.ensureAvailability();
                yield new BrotliInputStream(encoded);
            }
            case "zstd" -> new ZstdInputStream(encoded);
            default -> throw new IllegalArgumentException("no decoder for " + contentEncoding);
        };
    }

    public static byte[] decode(String contentEncoding, byte[] encoded) {
        try (InputStream in = decoding(contentEncoding, new ByteArrayInputStream(encoded))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
