package io.sluice.staticfiles;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.Date;

/**
 * Conditional requests (RFC 9110 §13.2.2), evaluated in the order the RFC gives: If-Match, else
 * If-Unmodified-Since (failing → 412); then If-None-Match, else If-Modified-Since (matching → 304 for
 * GET and HEAD, the only methods served here). If-Range is decided separately, when a Range is present.
 */
final class Preconditions {
    enum Outcome { PROCEED, NOT_MODIFIED, PRECONDITION_FAILED }

    private Preconditions() {
    }

    static Outcome evaluate(HttpHeaders headers, FileEntry file) {
        String ifMatch = headers.get(HttpHeaderNames.IF_MATCH);
        if (ifMatch != null) {
            if (!matches(ifMatch, file.etag(), false)) {
                return Outcome.PRECONDITION_FAILED;
            }
        } else {
            String ifUnmodifiedSince = headers.get(HttpHeaderNames.IF_UNMODIFIED_SINCE);
            Date date = ifUnmodifiedSince == null ? null : DateFormatter.parseHttpDate(ifUnmodifiedSince);
            if (date != null && file.lastModifiedSeconds() > date.getTime() / 1000) {
                return Outcome.PRECONDITION_FAILED;
            }
        }
        String ifNoneMatch = headers.get(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matches(ifNoneMatch, file.etag(), true) ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
        }
        String ifModifiedSince = headers.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        Date date = ifModifiedSince == null ? null : DateFormatter.parseHttpDate(ifModifiedSince);
        if (date != null && file.lastModifiedSeconds() <= date.getTime() / 1000) {
            return Outcome.NOT_MODIFIED;
        }
        return Outcome.PROCEED;
    }

    /** If-Range: a Range applies only while the validator still names this representation (strongly). */
    static boolean rangeStillValid(String ifRange, FileEntry file) {
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.trim();
        if (value.startsWith("\"")) {
            return file.etag().contentEquals(value);
        }
        if (value.startsWith("W/")) {
            return false;
        }
        Date date = DateFormatter.parseHttpDate(value);
        return date != null && date.getTime() / 1000 == file.lastModifiedSeconds();
    }

    /**
     * True when the entity-tag list in {@code header} names {@code etag}: {@code *} names any current
     * representation. Weak comparison ignores the {@code W/} flag; strong comparison never matches a weak tag.
     */
    static boolean matches(String header, AsciiString etag, boolean weakComparison) {
        int i = 0;
        int length = header.length();
        while (i < length) {
            char c = header.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            if (c == '*') {
                return true;
            }
            boolean weak = false;
            if (header.startsWith("W/", i)) {
                weak = true;
                i += 2;
            }
            if (i >= length || header.charAt(i) != '"') {
                return false;
            }
            int close = header.indexOf('"', i + 1);
            if (close < 0) {
                return false;
            }
            if ((weakComparison || !weak) && etag.length() == close + 1 - i
                    && etag.contentEquals(header.subSequence(i, close + 1))) {
                return true;
            }
            i = close + 1;
        }
        return false;
    }
}
