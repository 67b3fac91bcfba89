package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.sluice.config.ProxyConfig;

import java.util.Iterator;
import java.util.Map;

/**
 * Turns an upstream response head into the client's, in place: hop-by-hop fields dropped, the body
 * re-framed for the client hop, and the location's {@code response-headers} rules applied. An HTTP/1.1
 * client gets every body without a Content-Length chunked: one the upstream chunked, and one the upstream
 * ends by closing its connection, so that the client can tell a cut body (no last chunk) from a whole one
 * and keep its connection (as nginx does). An HTTP/1.0 client, which has no chunked coding, gets such a
 * body delimited by the close.
 */
final class ResponseHeadRewriter {
    private static final int CONNECTION = HopByHop.fixedIndex(HttpHeaderNames.CONNECTION);
    private static final int TRANSFER_ENCODING = HopByHop.fixedIndex(HttpHeaderNames.TRANSFER_ENCODING);

    private final AsciiString[] removeNames;
    private final AsciiString[] setNames;
    private final String[] setValues;
    private final boolean via;

    ResponseHeadRewriter(ProxyConfig config) {
        this.removeNames = config.responseHeaders().remove().stream().map(AsciiString::of).toArray(AsciiString[]::new);
        this.setNames = config.responseHeaders().set().keySet().stream().map(AsciiString::of).toArray(AsciiString[]::new);
        this.setValues = config.responseHeaders().set().values().toArray(String[]::new);
        this.via = config.via();
    }

    /**
     * Rewrites the head in one pass over its fields, reading the {@code Connection} and
     * {@code Transfer-Encoding} fields on the way, before they go.
     *
     * @param bodyless the response has no body whatever its headers say (HEAD request, 204, 304); a response
     *                 whose whole body is at hand must carry its Content-Length already, or it goes chunked
     * @param clientHttp10 the client spoke HTTP/1.0, which has no chunked coding
     * @return whether the upstream may keep its connection open after this response, as
     *         {@link io.netty.handler.codec.http.HttpUtil#isKeepAlive} would have said of the head as received
     */
    boolean rewrite(HttpResponse response, boolean bodyless, boolean clientHttp10) {
        HttpHeaders headers = response.headers();
        HopByHop.ConnectionField connection = null;
        // what nearly every upstream says, read without a parser object per response
        boolean saysKeepAlive = false;
        boolean chunked = false;
        int seen = 0;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            int fixed = HopByHop.fixedIndex(header.getKey());
            if (fixed < 0) {
                continue;
            }
            seen |= 1 << fixed;
            if (fixed == CONNECTION) {
                CharSequence value = header.getValue();
                if (HttpHeaderValues.KEEP_ALIVE.contentEqualsIgnoreCase(value)) {
                    saysKeepAlive = true;
                } else {
                    if (connection == null) {
                        connection = new HopByHop.ConnectionField();
                    }
                    connection.parse(value);
                }
            } else if (fixed == TRANSFER_ENCODING) {
                chunked |= HopByHop.hasToken(header.getValue(), HttpHeaderValues.CHUNKED);
            }
        }
        for (int i = 0; seen != 0; i++, seen >>>= 1) {
            if ((seen & 1) != 0) {
                headers.remove(HopByHop.fixedName(i));
            }
        }
        boolean keepAlive = response.protocolVersion().isKeepAliveDefault() || saysKeepAlive;
        if (connection != null) {
            for (String name : connection.listed) {
                headers.remove(name);
            }
            keepAlive = !connection.close && (keepAlive || connection.keepAlive);
        }
        if (!bodyless && !clientHttp10 && (chunked || !headers.contains(HttpHeaderNames.CONTENT_LENGTH))) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        applyRules(headers);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        return keepAlive;
    }

    /** The 101 of a WebSocket handshake keeps its {@code Upgrade} and says {@code Connection: upgrade}. */
    void rewriteSwitchingProtocols(HttpResponse response) {
        HttpHeaders headers = response.headers();
        CharSequence upgrade = headers.get(HttpHeaderNames.UPGRADE);
        for (String name : HopByHop.connectionOptions(headers)) {
            headers.remove(name);
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE).remove("proxy-connection").remove(HttpHeaderNames.TE)
                .remove(HttpHeaderNames.TRAILER).remove(HttpHeaderNames.TRANSFER_ENCODING)
                .remove(HttpHeaderNames.CONTENT_LENGTH);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        if (upgrade != null) {
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        applyRules(headers);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    private void applyRules(HttpHeaders headers) {
        for (AsciiString name : removeNames) {
            headers.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            headers.set(setNames[i], setValues[i]);
        }
        if (via) {
            headers.add(HttpHeaderNames.VIA, "1.1 sluice");
        }
    }
}
