package io.sluice.http;

import java.util.Locale;

/**
 * The {@code host[:port]} of a Host header or an absolute-form target (RFC 9110 §7.2, RFC 3986 §3.2).
 * Userinfo, a second port, an empty host and characters outside RFC 3986 are refused: proxies and
 * backends that parse such values differently are a known route to cache poisoning and routing bypass.
 */
public final class Authority {
    private static final String SUB_DELIMS = "!$&'()*+,;=";

    private Authority() {
    }

    /**
     * Returns the lower-case host without the port, or {@code null} when {@code value} is not a valid authority.
     * A fully qualified name's trailing dot is dropped ({@code example.com.} is {@code example.com}), as nginx
     * drops it: otherwise such a name, which browsers send as typed, would miss its server block.
     */
    public static String hostOf(String value) {
        int hostEnd = hostEnd(value);
        if (hostEnd < 0) {
            return null;
        }
        return name(value, hostEnd);
    }

    /**
     * {@link #hostOf} for a value {@link #isValid} has already accepted (as {@link RequestValidator} does for
     * every request's Host): the same answer without checking every character again.
     */
    public static String hostOfValid(String value) {
        int hostEnd = value.charAt(0) == '[' ? value.indexOf(']') + 1 : value.indexOf(':');
        return name(value, hostEnd <= 0 ? value.length() : hostEnd);
    }

    private static String name(String value, int hostEnd) {
        int end = hostEnd > 1 && value.charAt(hostEnd - 1) == '.' ? hostEnd - 1 : hostEnd;
        // the usual value, a lower-case name or address, comes back as is
        String host = end == value.length() ? value : value.substring(0, end);
        return host.toLowerCase(Locale.ROOT);
    }

    /** True when {@code value} is a valid authority; checks in place, copying nothing. */
    public static boolean isValid(String value) {
        return hostEnd(value) >= 0;
    }

    /** Where the host part of a valid authority ends, or -1 when the authority is invalid. */
    private static int hostEnd(String value) {
        if (value == null || value.isEmpty() || value.length() > 255) {
            return -1;
        }
        int hostEnd;
        int portStart;
        if (value.charAt(0) == '[') {
            int close = value.indexOf(']');
            if (close < 0 || !isIpLiteral(value, 1, close)) {
                return -1;
            }
            hostEnd = close + 1;
            if (hostEnd < value.length() && value.charAt(hostEnd) != ':') {
                return -1;
            }
            portStart = hostEnd < value.length() ? hostEnd + 1 : -1;
        } else {
            int colon = value.indexOf(':');
            hostEnd = colon < 0 ? value.length() : colon;
            portStart = colon < 0 ? -1 : colon + 1;
            if (hostEnd == 0 || !isRegName(value, hostEnd)) {
                return -1;
            }
        }
        if (portStart >= 0 && !isPort(value, portStart)) {
            return -1;
        }
        return hostEnd;
    }

    private static boolean isRegName(String host, int end) {
        for (int i = 0; i < end; i++) {
            char c = host.charAt(i);
            boolean unreserved = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved) {
                continue;
            }
            if (c == '%') {
                if (!isPercentEscape(host, i, end)) {
                    return false;
                }
                i += 2;
            } else if (SUB_DELIMS.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPercentEscape(String s, int i, int end) {
        return i + 2 < end && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2));
    }

    private static boolean isIpLiteral(String s, int from, int to) {
        if (to - from < 2) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!isHex(c) && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }

    private static boolean isPort(String value, int start) {
        int length = value.length() - start;
        if (length == 0 || length > 5) {
            return false;
        }
        int port = 0;
        for (int i = start; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + (c - '0');
        }
        return port <= 65535;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
