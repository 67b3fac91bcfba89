package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;

/**
 * Field values as strings, one string per thread for a value that repeats from head to head. Most values
 * on a connection are the same in every message (a client's Host and User-Agent, an upstream's Server,
 * Content-Type, Content-Length and Connection, a Date for a whole second), and every keep-alive request
 * used to copy each of them into a new string twice over (the string and its byte array): a fifth of what
 * a proxied GET allocated. Each event loop thread keeps the value last seen in each of a few slots, chosen
 * by the value's hash; a value equal byte for byte to the one in its slot is that string, any other is a
 * new string that takes the slot. Strings are immutable, so sharing one between messages changes nothing
 * a reader can see.
 *
 * <p>What is kept is bounded: {@link #SLOTS} strings of at most {@link #MAX_SHARED_LENGTH} characters per
 * thread. Values of fields that carry credentials are never kept beyond their message.
 */
final class FieldValues {
    static final int MAX_SHARED_LENGTH = 64;
    /** A power of two; a head has a dozen fields at most, usually. */
    static final int SLOTS = 64;

    private static final FastThreadLocal<String[]> TABLE = new FastThreadLocal<>() {
        @Override
        protected String[] initialValue() {
            return new String[SLOTS];
        }
    };

    private FieldValues() {
    }

    /**
     * The value in {@code bytes[start, end)} (ISO-8859-1, as the decoder reads it), shared when it is the
     * one its slot holds.
     *
     * @param hash {@code 31 * h + b} over the value's bytes, as the caller computed it while checking them
     */
    static String of(AsciiString name, byte[] bytes, int start, int end, int hash) {
        int length = end - start;
        if (length > MAX_SHARED_LENGTH || isCredential(name)) {
            return new String(bytes, start, length, StandardCharsets.ISO_8859_1);
        }
        String[] table = TABLE.get();
        int slot = (hash ^ hash >>> 16) & (SLOTS - 1);
        String kept = table[slot];
        if (kept != null && same(kept, bytes, start, length)) {
            return kept;
        }
        String value = new String(bytes, start, length, StandardCharsets.ISO_8859_1);
        table[slot] = value;
        return value;
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
