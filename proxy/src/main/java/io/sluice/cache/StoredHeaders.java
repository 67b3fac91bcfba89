package io.sluice.cache;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;

import java.util.Iterator;
import java.util.Map;

/**
 * The header fields of a stored response, ready to be copied into every hit: names and values as
 * {@link AsciiString} (the response encoder copies those as bytes instead of converting each character)
 * and the body's {@code Content-Length} already in place, so a hit only adds {@code Age} and
 * {@code X-Cache}.
 */
public final class StoredHeaders {
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private StoredHeaders() {
    }

    /**
     * @param bodyLength the stored body's length, or -1 for a status without content (204, 304), which
     *                   gets no {@code Content-Length}
     */
    public static HttpHeaders of(HttpHeaders fields, int bodyLength) {
        HttpHeaders stored = HEADERS.newHeaders();
        Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(field.getKey())) {
                stored.add(AsciiString.of(field.getKey()), AsciiString.of(field.getValue()));
            }
        }
        if (bodyLength >= 0) {
            stored.set(HttpHeaderNames.CONTENT_LENGTH, AsciiString.of(Integer.toString(bodyLength)));
        }
        return stored;
    }
}
