package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
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
     * (dropped anyway); empty for the usual {@code keep-alive}.
     */
    static List<String> connectionOptions(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CONNECTION)) {
            return List.of();
        }
        ConnectionField field = new ConnectionField();
        Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(HttpHeaderNames.CONNECTION);
        while (values.hasNext()) {
            field.parse(values.next());
        }
        return field.listed;
    }

    /** The index of {@code name} in the fixed list, or -1. */
    static int fixedIndex(CharSequence name) {
        for (int i = 0; i < FIXED.length; i++) {
            if (FIXED[i].contentEqualsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    static AsciiString fixedName(int index) {
        return FIXED[index];
    }

    /** True when the comma-separated list {@code value} has the element {@code token}, in any case. */
    static boolean hasToken(CharSequence value, AsciiString token) {
        return elements(value, (v, from, length) -> regionIs(v, from, length, token));
    }

    /** Sees the elements of a comma-separated field value. */
    private interface ElementVisitor {
        /** Returns true to stop at this element. */
        boolean element(CharSequence value, int from, int length);
    }

    /**
     * Hands each non-empty element of a comma-separated list to {@code visitor}, trimmed of what Netty's
     * {@code HttpHeaders#containsValue} trims (every character up to the space), so that these lists read
     * as Netty's own framing decisions read them. Returns true when the visitor stopped at an element.
     */
    private static boolean elements(CharSequence value, ElementVisitor visitor) {
        int start = 0;
        while (start < value.length()) {
            int end = start;
            while (end < value.length() && value.charAt(end) != ',') {
                end++;
            }
            int from = start;
            int to = end;
            while (from < to && value.charAt(from) <= ' ') {
                from++;
            }
            while (to > from && value.charAt(to - 1) <= ' ') {
                to--;
            }
            if (to > from && visitor.element(value, from, to - from)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** What the values of a message's {@code Connection} field say, read one value at a time. */
    static final class ConnectionField implements ElementVisitor {
        private static final List<String> CLOSE_ONLY = List.of(HttpHeaderValues.CLOSE.toString());

        /** The field names listed, lower case, leaving out the fixed hop-by-hop names. */
        List<String> listed = List.of();
        boolean close;
        boolean keepAlive;

        void parse(CharSequence value) {
            if (HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(value)) {
                // what nearly every upstream says, read without splitting the list
                keepAlive = true;
                return;
            }
            if (listed.isEmpty() && HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(value)) {
                // what every client says that opens a connection per request: one exchange must not pay for
                // the list parser, its list and a lower-cased copy of the word
                close = true;
                listed = CLOSE_ONLY;
                return;
            }
            elements(value, this);
        }

        @Override
        public boolean element(CharSequence value, int from, int length) {
            if (isFixed(value, from, length)) {
                keepAlive |= regionIs(value, from, length, HttpHeaderValues.KEEP_ALIVE);
                return false;
            }
            close |= regionIs(value, from, length, HttpHeaderValues.CLOSE);
            if (!(listed instanceof ArrayList)) {
                List<String> growing = new ArrayList<>(listed.size() + 2);
                growing.addAll(listed);
                listed = growing;
            }
            listed.add(value.subSequence(from, from + length).toString().toLowerCase(Locale.ROOT));
            return false;
        }
    }

    private static boolean regionIs(CharSequence value, int from, int length, AsciiString token) {
        return length == token.length() && AsciiString.regionMatches(value, true, from, token, 0, length);
    }

    private static boolean isFixed(CharSequence value, int from, int length) {
        for (AsciiString fixed : FIXED) {
            if (regionIs(value, from, length, fixed)) {
                return true;
            }
        }
        return false;
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
