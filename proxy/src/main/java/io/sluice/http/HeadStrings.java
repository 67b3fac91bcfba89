package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;

/**
 * Field values and request targets as strings, one string per thread for one that repeats from head to head.
 * Most values on a connection are the same in every message (a client's Host and User-Agent, an upstream's
 * Server, Content-Type, Content-Length and Connection, a Date for a whole second), and so, often, is the
 * target; every keep-alive request used to copy each of them into a new string (the string and its byte
 * array), a quarter of what a proxied GET allocated on the event loop. Each event loop thread keeps the strings
 * it made last in a small table, two slots per hash: bytes equal to a string in their two slots are that
 * string; other bytes make a new string, which displaces the less recently used of the two. Strings are
 * immutable, so sharing one between messages changes nothing a reader can see.
 *
 * <p>What is kept is bounded: {@link #SLOTS} strings of at most {@link #MAX_SHARED_LENGTH} characters per
 * thread. Values of fields that carry credentials, and targets with a query (which may carry a token), are
 * never kept beyond their message.
 */
final class HeadStrings {
    static final int MAX_SHARED_LENGTH = 64;
    /** In pairs, the more recently used first: two values that repeat together and share a pair both stay. */
    static final int SLOTS = 64;
    private static final int SET_BITS = Integer.numberOfTrailingZeros(SLOTS) - 1;

    private static final FastThreadLocal<String[]> TABLE = new FastThreadLocal<>() {
        @Override
        protected String[] initialValue() {
            return new String[SLOTS];
        }
    };

    private HeadStrings() {
    }

    /**
     * The field value in {@code bytes[start, end)} (ISO-8859-1, as the decoders read it).
     *
     * @param hash {@code 31 * h + b} over the bytes, as the caller computed it while checking them
     */
    static String value(AsciiString name, byte[] bytes, int start, int end, int hash) {
        return isCredential(name) ? string(bytes, start, end) : shared(bytes, start, end, hash);
    }

    /**
     * The request target in {@code bytes[start, end)}.
     *
     * @param hash as for {@link #value}
     * @param query the target has a {@code ?}
     */
    static String target(byte[] bytes, int start, int end, int hash, boolean query) {
        return query ? string(bytes, start, end) : shared(bytes, start, end, hash);
    }

    private static String shared(byte[] bytes, int start, int end, int hash) {
        int length = end - start;
        if (length > MAX_SHARED_LENGTH) {
            return string(bytes, start, end);
        }
        String[] table = TABLE.get();
        // the hash's high bits after a multiplicative mix pick the pair: short values differ in few bits
        int first = (hash * 0x9E3779B9 >>> 32 - SET_BITS) << 1;
        String recent = table[first];
        if (recent != null && same(recent, bytes, start, length)) {
            return recent;
        }
        String older = table[first + 1];
        if (older != null && same(older, bytes, start, length)) {
            table[first + 1] = recent;
            table[first] = older;
            return older;
        }
        String made = string(bytes, start, end);
        table[first + 1] = recent;
        table[first] = made;
        return made;
    }

    private static String string(byte[] bytes, int start, int end) {
        return new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private static boolean same(String kept, byte[] bytes, int start, int length) {
        if (kept.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (kept.charAt(i) != (bytes[start + i] & 0xff)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isCredential(AsciiString name) {
        return HttpHeaderNames.AUTHORIZATION.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.COOKIE.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.SET_COOKIE.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.PROXY_AUTHORIZATION.contentEqualsIgnoreCase(name);
    }
}
