package io.sluice.staticfiles;

import io.sluice.config.LocationMatch;

import java.nio.charset.StandardCharsets;

/**
 * Maps a request path onto a path below the static root, and the checks that need only the text of the
 * path. The dispatcher has already decoded the path once (strict UTF-8, no NUL or control characters)
 * and resolved {@code .} and {@code ..} without climbing above {@code /}; what is left to refuse here is
 * what would let one segment act as several: an encoded slash or backslash in the raw target, or a
 * backslash anywhere.
 */
final class StaticPaths {
    static final String WELL_KNOWN = ".well-known";

    private StaticPaths() {
    }

    /** True when the raw (still encoded) path holds {@code %2F} or {@code %5C}, in either case. */
    static boolean hasEncodedSeparator(String rawPath) {
        int percent = rawPath.indexOf('%');
        while (percent >= 0 && percent + 2 < rawPath.length()) {
            char hi = rawPath.charAt(percent + 1);
            char lo = Character.toLowerCase(rawPath.charAt(percent + 2));
            if (hi == '2' && lo == 'f' || hi == '5' && lo == 'c') {
                return true;
            }
            percent = rawPath.indexOf('%', percent + 1);
        }
        return false;
    }

    /**
     * The path below the root without leading or trailing slash ({@code ""} for the root): a prefix
     * location strips its prefix (location {@code /static/} maps {@code /static/css/a.css} to
     * {@code css/a.css}); an exact location serves its path as it is.
     */
    static String relative(String path, LocationMatch match) {
        int start = 0;
        if (match.isPrefix() && path.startsWith(match.value())) {
            start = match.value().length();
        }
        return trim(path, start);
    }

    private static String trim(String path, int from) {
        int start = from;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }

    /** True when a segment names a hidden file ({@code .name}), except {@code .well-known}. */
    static boolean hidden(String relative) {
        int start = 0;
        while (start < relative.length()) {
            int slash = relative.indexOf('/', start);
            int end = slash < 0 ? relative.length() : slash;
            if (end > start && relative.charAt(start) == '.'
                    && !(end - start == WELL_KNOWN.length() && relative.startsWith(WELL_KNOWN, start))) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    /** A decoded path, percent-encoded again segment by segment, for a Location header. */
    static String encodePath(String path) {
        StringBuilder out = new StringBuilder(path.length() + 16);
        int start = 1;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            out.append('/').append(encodeSegment(path.substring(start, end)));
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        return out.toString();
    }

    /** {@code path} without leading and trailing slashes. */
    static String trimSlashes(String path) {
        return trim(path, 0);
    }

    /** Percent-encodes every byte of the UTF-8 name outside RFC 3986's unreserved set. */
    static String encodeSegment(String name) {
        StringBuilder out = new StringBuilder(name.length() + 16);
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
