package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.ArrayList;
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

    /** The field names listed in {@code Connection}, lower case; empty (and no allocation) without one. */
    static List<String> connectionOptions(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.CONNECTION)) {
            return List.of();
        }
        List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
        List<String> names = new ArrayList<>(2);
        for (String value : values) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    names.add(name.toLowerCase(Locale.ROOT));
                }
            }
        }
        return names;
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
