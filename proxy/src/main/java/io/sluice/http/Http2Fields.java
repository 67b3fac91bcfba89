package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The header fields of one HTTP/2 stream in the HTTP/1-style messages the dispatcher serves, and back.
 *
 * <p>Netty's general translation does more per message than a server stream needs, and every stream pays it
 * twice, once each way: for a request it adds {@code x-http2-stream-id}, {@code x-http2-scheme} and
 * a {@code connection} decision only for us to remove them again, and looks every field name up in two maps;
 * for a response it builds a map of the {@code Connection} header's tokens even when there is none. Here a
 * request's fields are copied once, {@code :authority} becoming {@code host} and the {@code cookie} crumbs
 * joined again (RFC 9113 §8.2.3); a response's fields are lower-cased and copied without the
 * connection-specific ones. The rare messages whose translation has more rules (a CONNECT request; a response
 * that names fields in {@code Connection}, carries {@code TE} or a {@code cookie}) go through Netty's
 * translation, so they are treated exactly as before.
 *
 * <p>What stays checked: the frame codec has validated the request's field names (lower-case tokens,
 * pseudo-header fields first and known) and refused connection-specific fields; the values are checked here as
 * they are copied, the request line by the message, and a {@code host} field that conflicts with
 * {@code :authority} is refused, all as stream errors.
 *
 * <p>A request's headers are built the way the HTTP/1.1 decoder builds them: the same header container
 * without validators (the value rule is applied here, once) and {@code String} values. Everything after this
 * point (validation, routing, the static and proxy handlers, the access log) is shared by both protocols, and
 * the JIT compiles that code for the types it has seen: a second container configuration or value type arriving
 * with the first HTTP/2 stream after a period of HTTP/1.1 traffic would invalidate those shared methods and
 * have them compiled again while they serve.
 */
public final class Http2Fields {
    private static final AsciiString TRANSLATION_PREFIX = AsciiString.cached("x-http2-");
    private static final Set<AsciiString> RESPONSE_TRANSLATION_NAMES = Set.of(
            HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(), HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
            HttpConversionUtil.ExtensionHeaderNames.PATH.text(), HttpConversionUtil.ExtensionHeaderNames.PROTOCOL.text());

    private Http2Fields() {
    }

    /**
     * The HTTP/1-style request for a request's HEADERS frame: a complete request over the shared empty buffer
     * when that frame ended the stream, else the head of a request whose body follows.
     */
    public static HttpRequest request(int streamId, Http2Headers fields, boolean endStream) throws Http2Exception {
        CharSequence method = fields.method();
        if (HttpMethod.CONNECT.asciiName().contentEqualsIgnoreCase(method)) {
            return translatedByNetty(streamId, fields, endStream);
        }
        try {
            // names were validated by the frame codec; values are checked as they are copied
            HttpHeaders headers = Http1MessageDecoder.HEADERS.newHeaders();
            copyRequestFields(streamId, fields, headers);
            HttpMethod httpMethod = HttpMethod.valueOf(method.toString());
            String uri = fields.path().toString();
            return endStream
                    ? new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, httpMethod, uri, Unpooled.EMPTY_BUFFER, headers,
                            HttpHeaders.EMPTY_HEADERS)
                    : new DefaultHttpRequest(HttpVersion.HTTP_1_1, httpMethod, uri, headers);
        } catch (Http2Exception e) {
            throw e;
        } catch (RuntimeException e) {
            throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, e,
                    "HTTP/2 to HTTP/1.x headers conversion error");
        }
    }

    private static void copyRequestFields(int streamId, Http2Headers fields, HttpHeaders headers)
            throws Http2Exception {
        CharSequence authority = null;
        StringBuilder cookies = null;
        for (Map.Entry<CharSequence, CharSequence> field : fields) {
            CharSequence name = field.getKey();
            CharSequence value = field.getValue();
            if (name.length() > 0 && name.charAt(0) == ':') {
                if (Http2Headers.PseudoHeaderName.AUTHORITY.value().contentEquals(name)) {
                    authority = value;
                    headers.add(HttpHeaderNames.HOST, checkedValue(streamId, name, value));
                }
            } else if (HttpHeaderNames.COOKIE.contentEquals(name)) {
                if (cookies == null) {
                    cookies = new StringBuilder(value.length());
                } else {
                    cookies.append("; ");
                }
                cookies.append(value);
            } else if (HttpHeaderNames.HOST.contentEquals(name)) {
                if (authority == null) {
                    authority = value;
                    headers.add(HttpHeaderNames.HOST, checkedValue(streamId, name, value));
                } else if (!AsciiString.contentEqualsIgnoreCase(authority, value)) {
                    throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR,
                            "Conflicting ':authority' and 'host' headers found");
                }
            } else if (!leftOutOfRequest(name)) {
                headers.add(name, checkedValue(streamId, name, value));
            }
        }
        if (cookies != null) {
            headers.add(HttpHeaderNames.COOKIE, checkedValue(streamId, HttpHeaderNames.COOKIE, cookies));
        }
    }

    /**
     * The value as a {@code String}, as the HTTP/1.1 decoder gives it, once it passed the rule Netty's validating
     * header container applies (RFC 9110 field-content: no control character but HTAB, none at all first).
     */
    private static String checkedValue(int streamId, CharSequence name, CharSequence value) throws Http2Exception {
        int index = HttpHeaderValidationUtil.validateValidHeaderValue(value);
        if (index != -1) {
            throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR,
                    "prohibited character 0x%s at index %d of the value of '%s'",
                    Integer.toHexString(value.charAt(index)), index, name);
        }
        return value.toString();
    }

    /** Fields an HTTP/1 request must not carry from a stream: connection-specific ones, Netty's own. */
    private static boolean leftOutOfRequest(CharSequence name) {
        return HttpHeaderValidationUtil.isConnectionHeader(name, true) || HttpHeaderNames.TRAILER.contentEquals(name)
                || AsciiString.regionMatches(name, false, 0, TRANSLATION_PREFIX, 0, TRANSLATION_PREFIX.length());
    }

    private static HttpRequest translatedByNetty(int streamId, Http2Headers fields, boolean endStream)
            throws Http2Exception {
        HttpRequest head = HttpConversionUtil.toHttpRequest(streamId, fields, true);
        Http2Connections.stripTranslationHeaders(head.headers());
        return endStream
                ? new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), Unpooled.EMPTY_BUFFER,
                        head.headers(), HttpHeaders.EMPTY_HEADERS)
                : head;
    }

    /**
     * The HEADERS frame fields of a response: {@code :status}, then its headers lower-cased, without the
     * connection-specific ones HTTP/2 forbids (RFC 9113 §8.2.2). A common name becomes a shared lower-case
     * constant ({@link CommonFieldNames}): a proxied response's names are spelled as its upstream spelled
     * them, nearly always capitalized. They are not validated again: every header a response carries was
     * validated when it was added (our own, or decoded by the strict HTTP/1 decoder).
     */
    public static Http2Headers response(HttpResponse response) {
        HttpHeaders headers = response.headers();
        // the encoder only iterates the fields and reads :status: the smallest bucket array will do
        Http2Headers fields = new DefaultHttp2Headers(false, 2);
        fields.status(response.status().codeAsText());
        Iterator<Map.Entry<CharSequence, CharSequence>> iterator = headers.iteratorCharSequence();
        while (iterator.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = iterator.next();
            AsciiString name = CommonFieldNames.lowerCase(header.getKey());
            if (needsNettysRules(name)) {
                Http2Headers translated = new DefaultHttp2Headers(false, headers.size() + 1);
                translated.status(fields.status());
                HttpConversionUtil.toHttp2Headers(headers, translated);
                return translated;
            }
            if (!leftOutOfResponse(name)) {
                fields.add(name, header.getValue());
            }
        }
        return fields;
    }

    /** {@code Connection} may name more fields to drop, {@code TE} and {@code cookie} have rules of their own. */
    private static boolean needsNettysRules(AsciiString name) {
        return HttpHeaderNames.CONNECTION.contentEquals(name) || HttpHeaderNames.TE.contentEquals(name)
                || HttpHeaderNames.COOKIE.contentEquals(name);
    }

    /** The fields Netty's translation drops from a response too: connection-specific, host, its own. */
    private static boolean leftOutOfResponse(AsciiString name) {
        return HttpHeaderValidationUtil.isConnectionHeader(name, true) || HttpHeaderNames.HOST.contentEquals(name)
                || name.startsWith(TRANSLATION_PREFIX) && RESPONSE_TRANSLATION_NAMES.contains(name);
    }
}
