package io.sluice.util;

/**
 * A {@code host:port} pair as written in configuration: {@code 127.0.0.1:9000}, {@code [::1]:8080},
 * {@code app.internal:80}, or a bare port meaning every address.
 */
public record HostAndPort(String host, int port) {

    public static HostAndPort parse(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        if (allDigits(trimmed)) {
            return new HostAndPort("0.0.0.0", port(trimmed));
        }
        String host;
        String port;
        if (trimmed.startsWith("[")) {
            int close = trimmed.indexOf(']');
            if (close < 0 || close + 1 >= trimmed.length() || trimmed.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port");
            }
            host = trimmed.substring(1, close);
            port = trimmed.substring(close + 2);
        } else {
            int colon = trimmed.lastIndexOf(':');
            if (colon < 0 || trimmed.indexOf(':') != colon) {
                throw new IllegalArgumentException("expected host:port");
            }
            host = colon == 0 ? "0.0.0.0" : trimmed.substring(0, colon);
            port = trimmed.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        return new HostAndPort(host, port(port));
    }

    private static int port(String text) {
        if (text.isEmpty() || text.length() > 5 || !allDigits(text)) {
            throw new IllegalArgumentException("port must be a number between 0 and 65535 (0 picks a free port)");
        }
        int value = Integer.parseInt(text);
        if (value > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535");
        }
        return value;
    }

    /** A loop rather than {@code chars().allMatch}: parsed at every start, where a stream pipeline costs ~20 classes. */
    private static boolean allDigits(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
