package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The words of a request head read straight from its bytes: token characters (RFC 9110 §5.6.2), methods,
 * versions and field names. The common ones come back as shared constants, so reading a typical head
 * allocates no name objects, and a framing field can be recognised by identity. The upstream response
 * decoder reads token characters and versions with the same rules.
 */
public final class HttpTokens {
    private static final boolean[] TOKEN = new boolean[128];
    /** Well-known field names by length, lower case, as Netty's constants. */
    private static final AsciiString[][] NAMES_BY_LENGTH;

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
        AsciiString[] known = {
                HttpHeaderNames.HOST, HttpHeaderNames.USER_AGENT, HttpHeaderNames.ACCEPT,
                HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderNames.ACCEPT_LANGUAGE, HttpHeaderNames.ACCEPT_CHARSET,
                HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.CONTENT_LENGTH,
                HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.TRANSFER_ENCODING,
                HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, HttpHeaderNames.EXPECT,
                HttpHeaderNames.COOKIE, HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.CACHE_CONTROL,
                HttpHeaderNames.PRAGMA, HttpHeaderNames.REFERER, HttpHeaderNames.ORIGIN, HttpHeaderNames.RANGE,
                HttpHeaderNames.IF_RANGE, HttpHeaderNames.IF_MATCH, HttpHeaderNames.IF_NONE_MATCH,
                HttpHeaderNames.IF_MODIFIED_SINCE, HttpHeaderNames.IF_UNMODIFIED_SINCE,
                AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-forwarded-proto"),
                AsciiString.cached("x-forwarded-host"), AsciiString.cached("x-real-ip"), AsciiString.cached("forwarded"),
                HttpHeaderNames.VIA, HttpHeaderNames.PROXY_CONNECTION,
                HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.DNT, HttpHeaderNames.UPGRADE_INSECURE_REQUESTS,
                HttpHeaderNames.SEC_WEBSOCKET_KEY, HttpHeaderNames.SEC_WEBSOCKET_VERSION,
                HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL,
                HttpHeaderNames.DATE, HttpHeaderNames.ETAG,
        };
        int longest = 0;
        for (AsciiString name : known) {
            longest = Math.max(longest, name.length());
        }
        List<List<AsciiString>> byLength = new ArrayList<>();
        for (int i = 0; i <= longest; i++) {
            byLength.add(new ArrayList<>());
        }
        for (AsciiString name : known) {
            byLength.get(name.length()).add(name);
        }
        NAMES_BY_LENGTH = new AsciiString[longest + 1][];
        for (int i = 0; i <= longest; i++) {
            NAMES_BY_LENGTH[i] = byLength.get(i).toArray(new AsciiString[0]);
        }
    }

    private HttpTokens() {
    }

    public static boolean isTokenChar(byte b) {
        return b >= 0 && TOKEN[b];
    }

    /** The method whose token characters are {@code bytes[start, end)}; names are case-sensitive. */
    static HttpMethod method(byte[] bytes, int start, int end) {
        HttpMethod common = switch (end - start) {
            case 3 -> is(bytes, start, "GET") ? HttpMethod.GET : is(bytes, start, "PUT") ? HttpMethod.PUT : null;
            case 4 -> is(bytes, start, "HEAD") ? HttpMethod.HEAD : is(bytes, start, "POST") ? HttpMethod.POST : null;
            case 5 -> is(bytes, start, "PATCH") ? HttpMethod.PATCH : is(bytes, start, "TRACE") ? HttpMethod.TRACE : null;
            case 6 -> is(bytes, start, "DELETE") ? HttpMethod.DELETE : null;
            case 7 -> is(bytes, start, "OPTIONS") ? HttpMethod.OPTIONS
                    : is(bytes, start, "CONNECT") ? HttpMethod.CONNECT : null;
            default -> null;
        };
        return common != null ? common
                : HttpMethod.valueOf(new String(bytes, start, end - start, StandardCharsets.US_ASCII));
    }

    private static boolean is(byte[] bytes, int start, String word) {
        for (int i = 0; i < word.length(); i++) {
            if (bytes[start + i] != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code HTTP/DIGIT.DIGIT} exactly (RFC 9112 §2.3), or {@code null}. Any such version is returned, so
     * the validator can answer one it does not speak with 505 rather than 400.
     */
    public static HttpVersion version(byte[] bytes, int start, int end) {
        if (end - start != 8 || !is(bytes, start, "HTTP/") || bytes[start + 6] != '.'
                || !isDigit(bytes[start + 5]) || !isDigit(bytes[start + 7])) {
            return null;
        }
        int major = bytes[start + 5] - '0';
        int minor = bytes[start + 7] - '0';
        if (major == 1 && minor == 1) {
            return HttpVersion.HTTP_1_1;
        }
        if (major == 1 && minor == 0) {
            return HttpVersion.HTTP_1_0;
        }
        return new HttpVersion("HTTP", major, minor, false);
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** The field name in {@code bytes[start, end)} (token characters): a shared constant when well known. */
    static AsciiString fieldName(byte[] bytes, int start, int end) {
        int length = end - start;
        if (length < NAMES_BY_LENGTH.length) {
            for (AsciiString candidate : NAMES_BY_LENGTH[length]) {
                if (equalsIgnoreCase(bytes, start, candidate)) {
                    return candidate;
                }
            }
        }
        return new AsciiString(bytes, start, length, true);
    }

    /** Compares token characters with a lower-case name: only letters may differ in case. */
    private static boolean equalsIgnoreCase(byte[] bytes, int start, AsciiString lowerCase) {
        byte[] name = lowerCase.array();
        int offset = lowerCase.arrayOffset();
        for (int i = 0; i < lowerCase.length(); i++) {
            byte b = bytes[start + i];
            byte c = name[offset + i];
            if (b != c && !(c >= 'a' && c <= 'z' && (b | 0x20) == c)) {
                return false;
            }
        }
        return true;
    }
}
