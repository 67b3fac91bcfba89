package io.sluice.upstream;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A deterministic byte stream of any length for large-body tests: byte {@code i} is a hash of {@code i},
 * so a shifted, dropped or repeated piece changes the sha256.
 */
final class TestBytes {
    private TestBytes() {
    }

    static byte at(long index) {
        long x = index * 0x9E3779B97F4A7C15L;
        x ^= x >>> 29;
        return (byte) (x ^ (x >>> 17));
    }

    static byte[] slice(long offset, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = at(offset + i);
        }
        return bytes;
    }

    static String sha256(long length) {
        MessageDigest digest = TestBackend.sha256();
        for (long offset = 0; offset < length; offset += 1 << 20) {
            digest.update(slice(offset, (int) Math.min(1 << 20, length - offset)));
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256Of(String text) {
        return HexFormat.of().formatHex(TestBackend.sha256().digest(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** The first {@code length} bytes as a stream, generated as read. */
    static InputStream stream(long length) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                return position < length ? at(position++) & 0xff : -1;
            }

            @Override
            public int read(byte[] buffer, int off, int len) {
                if (position >= length) {
                    return -1;
                }
                int n = (int) Math.min(len, length - position);
                for (int i = 0; i < n; i++) {
                    buffer[off + i] = at(position + i);
                }
                position += n;
                return n;
            }
        };
    }
}
