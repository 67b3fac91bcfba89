package io.sluice.http;

import java.util.Locale;

/**
 * The {@code host[:port]} of a Host header or an absolute-form target (RFC 9110 §7.2, RFC 3986 §3.2).
 * Userinfo, a second port, an empty host and characters outside RFC 3986 are refused: proxies and
 * backends that parse such values differently are a known route to cache poisoning and routing bypass.
 */
public final class Authority {
    private Authority() {
    }

    /** Returns the lower-case host without the port, or {@code null} when {@code value} is not a valid authority. */
    public static String hostOf(String value) {
        if (value == null || value.isEmpty() || value.length() > 255) {
            return null;
        }
        String host;
        String port = null;
        if (value.charAt(0) == '[') {
            int close = value.indexOf(']');
            if (close < 0 || !isIpLiteral(value, 1, close)) {
                return null;
            }
            host = value.substring(0, close + 1);
            if (close + 1 < value.length()) {
                if (value.charAt(close + 1) != ':') {
                    return null;
                }
                port = value.substring(close + 2);
            }
        } else {
            int colon = value.indexOf(':');
            host = colon < 0 ? value : value.substring(0, colon);
            if (colon >= 0) {
                port = value.substring(colon + 1);
            }
            if (host.isEmpty() || !isRegName(host)) {
                return null;
            }
        }
        if (port != null && !isPort(port)) {
            return null;
        }
        return host.toLowerCase(Locale.ROOT);
    }

    private static boolean isRegName(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean unreserved = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~';
            boolean subDelim = "!$&'()*+,;=".indexOf(c) >= 0;
            if (!unreserved && !subDelim && !isPercentEscape(host, i)) {
                return false;
            }
            if (c == '%') {
                i += 2;
            }
        }
        return true;
    }

    private static boolean isPercentEscape(String s, int i) {
        return s.charAt(i) == '%' && i + 2 < s.length() && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2));
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

    private static boolean isPort(String port) {
        if (port.isEmpty() || port.length() > 5) {
            return false;
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(port) <= 65535;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
