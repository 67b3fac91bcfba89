package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1): the fixed list, and the names a message's {@code Connection}
 * header lists, which apply to that one hop only and must not be forwarded.
 */
final class HopByHop {
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString[] FIXED = {
            HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, PROXY_CONNECTION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE,
    };

    private HopByHop() {
    }

    static boolean isFixed(CharSequence name) {
        for (AsciiString fixed : FIXED) {
            if (fixed.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The field names listed in {@code Connection}, lower case, leaving out the fixed hop-by-hop names
     * (dropped anyway); empty, and no allocation, for the usual {@code keep-alive}.
     */
    static List<String> connectionOptions(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CONNECTION)) {
            return List.of();
        }
        List<String> names = List.of();
        Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(HttpHeaderNames.CONNECTION);
        while (values.hasNext()) {
            CharSequence value = values.next();
            int start = 0;
            while (start < value.length()) {
                int end = start;
                while (end < value.length() && value.charAt(end) != ',') {
                    end++;
                }
                int from = start;
                int to = end;
                while (from < to && isWhitespace(value.charAt(from))) {
                    from++;
                }
                while (to > from && isWhitespace(value.charAt(to - 1))) {
                    to--;
                }
                if (to > from && !isFixed(value, from, to - from)) {
                    if (names.isEmpty()) {
                        names = new ArrayList<>(2);
                    }
                    names.add(value.subSequence(from, to).toString().toLowerCase(Locale.ROOT));
                }
                start = end + 1;
            }
        }
        return names;
    }

    private static boolean isFixed(CharSequence value, int from, int length) {
        for (AsciiString fixed : FIXED) {
            if (length == fixed.length() && AsciiString.regionMatches(value, true, from, fixed, 0, length)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    static boolean isListed(CharSequence name, List<String> connectionOptions) {
        for (int i = 0; i < connectionOptions.size(); i++) {
            if (AsciiString.contentEqualsIgnoreCase(name, connectionOptions.get(i))) {
                return true;
            }
        }
        return false;
    }
}
