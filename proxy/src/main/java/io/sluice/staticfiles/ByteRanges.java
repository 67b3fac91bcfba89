package io.sluice.staticfiles;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Range} header (RFC 9110 §14.2) against a representation of a known size. A header with a
 * syntax error, another unit, more than {@link #MAX_RANGES} ranges, or ranges that together ask for more
 * bytes than the representation has is ignored (the full body is sent), as the RFC allows and nginx does;
 * ranges that start past the end are dropped, and when none is left the request is unsatisfiable (416).
 * So however the ranges overlap, one request never makes us send more than the file once, plus the
 * multipart framing of at most {@code MAX_RANGES} parts.
 */
final class ByteRanges {
    static final int MAX_RANGES = 16;

    /** An inclusive byte range. */
    record Range(long first, long last) {
        long length() {
            return last - first + 1;
        }
    }

    private ByteRanges() {
    }

    /** The satisfiable ranges (empty: 416), or {@code null} when the header is to be ignored. */
    static List<Range> parse(String header, long size) {
        String value = header.trim();
        if (value.length() < 6 || !value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String[] specs = value.substring(6).split(",", -1);
        if (specs.length > MAX_RANGES) {
            return null;
        }
        List<Range> ranges = new ArrayList<>(specs.length);
        long total = 0;
        boolean any = false;
        for (String raw : specs) {
            String spec = raw.trim();
            if (spec.isEmpty()) {
                continue;
            }
            any = true;
            int dash = spec.indexOf('-');
            if (dash < 0) {
                return null;
            }
            long first = number(spec.substring(0, dash).trim());
            long last = number(spec.substring(dash + 1).trim());
            if (dash == 0) {
                if (last < 0) {
                    return null;
                }
                if (last > 0 && size > 0) {
                    Range suffix = new Range(Math.max(0, size - last), size - 1);
                    ranges.add(suffix);
                    total += suffix.length();
                }
                continue;
            }
            if (first < 0 || dash < spec.length() - 1 && last < 0) {
                return null;
            }
            if (dash < spec.length() - 1 && last < first) {
                return null;
            }
            if (first >= size) {
                continue;
            }
            long end = dash == spec.length() - 1 ? size - 1 : Math.min(last, size - 1);
            Range bounded = new Range(first, end);
            ranges.add(bounded);
            total += bounded.length();
        }
        return any && total <= size ? ranges : null;
    }

    private static long number(String digits) {
        if (digits.isEmpty() || digits.length() > 18) {
            return -1;
        }
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        return Long.parseLong(digits);
    }
}
