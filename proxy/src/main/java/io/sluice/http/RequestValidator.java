package io.sluice.http;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Framing and header rules every request passes before it is routed, whatever protocol carried it (the
 * HTTP/1.1 decoder, {@link Http1RequestDecoder}, already refuses ambiguous framing while it reads, since it
 * must frame the body): exactly one {@code chunked} coding, digits-only Content-Length and not both
 * (RFC 9112 §6), exactly one valid Host on HTTP/1.1, no control characters in values, and an absolute-form
 * target whose authority replaces Host (§3.2). Anything ambiguous is refused, never repaired.
 */
public final class RequestValidator {
    /**
     * The decoder result of a request whose framing, field values and second Host were refused by these same
     * rules while its head was read (the HTTP/1.1 decoder's): the check does not scan its fields again.
     */
    static final DecoderResult FIELDS_CHECKED = new FieldsChecked();

    private RequestValidator() {
    }

    /** Returns {@code null} when the request may be served; rewrites an absolute-form target to origin-form. */
    public static Rejection check(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            return decoderFailure(result.cause());
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return new Rejection(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "unsupported version " + version);
        }
        HttpHeaders headers = request.headers();
        if (result != FIELDS_CHECKED) {
            Rejection fields = checkFields(headers);
            if (fields != null) {
                return fields;
            }
        }
        Rejection target = checkTarget(request);
        if (target != null) {
            return target;
        }
        String host;
        if (result == FIELDS_CHECKED) {
            // the HTTP/1.1 decoder refuses a second Host: one lookup, no iterator
            host = headers.get(HttpHeaderNames.HOST);
        } else {
            Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
            host = hosts.hasNext() ? hosts.next() : null;
            if (hosts.hasNext()) {
                return bad("more than one Host header");
            }
        }
        if (host == null) {
            return version.minorVersion() == 1 ? bad("HTTP/1.1 request without Host") : null;
        }
        return !Authority.isValid(host) ? bad("invalid Host \"" + printable(host) + "\"") : null;
    }

    private static Rejection decoderFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new Rejection(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Rejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers too large");
        }
        if (cause instanceof TooLongFrameException) {
            return new Rejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, cause.getMessage());
        }
        return bad("malformed request: " + cause.getMessage());
    }

    private static Rejection checkFields(HttpHeaders headers) {
        Rejection framing = checkFraming(headers);
        return framing != null ? framing : checkValues(headers);
    }

    private static Rejection checkFraming(HttpHeaders headers) {
        // most requests carry neither field: two lookups then, and no lists
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING) && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            return null;
        }
        List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (encodings.size() > 1 || encodings.size() == 1 && !"chunked".equalsIgnoreCase(encodings.get(0))) {
            return bad("Transfer-Encoding other than exactly chunked: " + encodings);
        }
        List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (!encodings.isEmpty() && !lengths.isEmpty()) {
            return bad("both Content-Length and Transfer-Encoding");
        }
        if (lengths.size() > 1) {
            return bad("more than one Content-Length");
        }
        if (lengths.size() == 1) {
            String length = lengths.get(0);
            // plain digits without sign, spaces or leading zeros: every parser reads such a value the same way
            if (length.isEmpty() || length.length() > 18 || !isDigits(length)
                    || length.length() > 1 && length.charAt(0) == '0') {
                return bad("invalid Content-Length \"" + printable(length) + "\"");
            }
        }
        return null;
    }

    private static boolean isDigits(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static Rejection checkValues(HttpHeaders headers) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence value = header.getValue();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    return bad("control character in header " + header.getKey());
                }
            }
        }
        return null;
    }

    private static Rejection checkTarget(HttpRequest request) {
        String uri = request.uri();
        if (uri.startsWith("/")) {
            return null;
        }
        if ("*".equals(uri)) {
            return HttpMethod.OPTIONS.equals(request.method()) ? null : bad("asterisk-form target outside OPTIONS");
        }
        int schemeEnd = uri.indexOf("://");
        String scheme = schemeEnd < 0 ? "" : uri.substring(0, schemeEnd);
        if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
            return bad("invalid request target \"" + printable(uri) + "\"");
        }
        int authorityStart = schemeEnd + 3;
        int pathStart = authorityStart;
        while (pathStart < uri.length() && "/?#".indexOf(uri.charAt(pathStart)) < 0) {
            pathStart++;
        }
        String authority = uri.substring(authorityStart, pathStart);
        if (!Authority.isValid(authority)) {
            return bad("invalid authority in absolute-form target \"" + printable(authority) + "\"");
        }
        String rest = uri.substring(pathStart);
        // RFC 9112 §3.2.2: the target's authority wins over any Host header the client also sent.
        request.headers().set(HttpHeaderNames.HOST, authority);
        request.setUri(rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest);
        return null;
    }

    private static Rejection bad(String reason) {
        return new Rejection(HttpResponseStatus.BAD_REQUEST, reason);
    }

    private static final class FieldsChecked extends DecoderResult {
        private FieldsChecked() {
            super(SIGNAL_SUCCESS);
        }
    }

    private static String printable(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 80));
        for (int i = 0; i < value.length() && i < 80; i++) {
            char c = value.charAt(i);
            out.append(c < 0x20 || c >= 0x7f ? '?' : c);
        }
        return out.toString();
    }
}
