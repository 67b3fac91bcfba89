package io.sluice.upstream;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.sluice.config.ProxyConfig;
import io.sluice.http.Exchange;
import io.sluice.util.Cidr;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds the request head sent upstream from the client's: hop-by-hop fields dropped (WebSocket's
 * {@code Upgrade} kept), the body framed one way only ({@code Content-Length} or chunked), {@code Expect}
 * answered here rather than forwarded, the forwarding headers added, and the location's
 * {@code request-headers} rules applied last.
 */
final class RequestHeadBuilder {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString WEBSOCKET = AsciiString.cached("websocket");
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final ProxyConfig config;
    private final AsciiString[] removeNames;
    private final AsciiString[] setNames;
    private final String[] setValues;

    RequestHeadBuilder(ProxyConfig config) {
        this.config = config;
        this.removeNames = config.requestHeaders().remove().stream().map(AsciiString::of).toArray(AsciiString[]::new);
        this.setNames = config.requestHeaders().set().keySet().stream().map(AsciiString::of).toArray(AsciiString[]::new);
        this.setValues = config.requestHeaders().set().values().toArray(String[]::new);
    }

    /** True for a WebSocket handshake, the one upgrade that is forwarded. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, WEBSOCKET, true);
    }

    /**
     * The upstream request head; a {@link io.netty.handler.codec.http.FullHttpRequest} with an empty body
     * when the request has none, so that it goes out in one write.
     */
    HttpRequest build(Exchange exchange, UpstreamServer server, boolean hasBody, boolean webSocket) {
        HttpRequest in = exchange.request();
        HttpHeaders source = in.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(in);
        HttpHeaders out = HEADERS.newHeaders();
        List<String> listed = HopByHop.connectionOptions(source);
        Iterator<Map.Entry<CharSequence, CharSequence>> it = source.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            if (HopByHop.isFixed(name) || isReplaced(name) || (!listed.isEmpty() && HopByHop.isListed(name, listed))) {
                continue;
            }
            out.add(name, header.getValue());
        }
        if (hasBody) {
            if (chunked) {
                out.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                out.set(HttpHeaderNames.CONTENT_LENGTH, source.get(HttpHeaderNames.CONTENT_LENGTH));
            }
        } else if (source.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            out.set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
        }
        if (webSocket) {
            out.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            out.set(HttpHeaderNames.UPGRADE, source.get(HttpHeaderNames.UPGRADE));
        }
        String clientHost = source.get(HttpHeaderNames.HOST);
        out.set(HttpHeaderNames.HOST, upstreamHost(clientHost, server));
        addForwarding(exchange, source, out, clientHost);
        for (AsciiString name : removeNames) {
            out.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            out.set(setNames[i], setValues[i]);
        }
        String uri = originForm(in.uri());
        if (hasBody) {
            return new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), uri, out);
        }
        // a request sent with Content-Length has no trailer section: the shared empty headers stand in for it
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, in.method(), uri, Unpooled.EMPTY_BUFFER, out,
                EmptyHttpHeaders.INSTANCE);
    }

    private static boolean isReplaced(CharSequence name) {
        return HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.EXPECT.contentEqualsIgnoreCase(name)
                || X_FORWARDED_FOR.contentEqualsIgnoreCase(name)
                || X_REAL_IP.contentEqualsIgnoreCase(name)
                || X_FORWARDED_PROTO.contentEqualsIgnoreCase(name)
                || X_FORWARDED_HOST.contentEqualsIgnoreCase(name)
                || FORWARDED.contentEqualsIgnoreCase(name);
    }

    private String upstreamHost(String clientHost, UpstreamServer server) {
        String mode = config.host();
        if ("$host".equals(mode)) {
            return clientHost != null ? clientHost : server.hostHeader();
        }
        if ("$upstream".equals(mode)) {
            return server.hostHeader();
        }
        return mode;
    }

    private void addForwarding(Exchange exchange, HttpHeaders source, HttpHeaders out, String clientHost) {
        InetAddress client = exchange.clientAddress().getAddress();
        String clientIp = client.getHostAddress();
        boolean trusted = isTrusted(client);
        String earlier = trusted ? joined(source, X_FORWARDED_FOR) : null;
        out.set(X_FORWARDED_FOR, earlier == null ? clientIp : earlier + ", " + clientIp);
        out.set(X_REAL_IP, clientIp);
        out.set(X_FORWARDED_PROTO, exchange.secure() ? HTTPS : HTTP);
        if (clientHost != null) {
            out.set(X_FORWARDED_HOST, clientHost);
        }
        if (config.forwarded()) {
            StringBuilder element = new StringBuilder("for=");
            if (clientIp.indexOf(':') >= 0) {
                element.append("\"[").append(clientIp).append("]\"");
            } else {
                element.append(clientIp);
            }
            if (clientHost != null) {
                element.append(";host=\"").append(clientHost).append('"');
            }
            element.append(";proto=").append(exchange.secure() ? "https" : "http");
            String earlierForwarded = trusted ? joined(source, FORWARDED) : null;
            out.set(FORWARDED, earlierForwarded == null ? element.toString() : earlierForwarded + ", " + element);
        }
        if (config.via()) {
            String version = exchange.request().protocolVersion().minorVersion() == 0 ? "1.0" : "1.1";
            out.add(HttpHeaderNames.VIA, version + " sluice");
        }
    }

    private boolean isTrusted(InetAddress client) {
        List<Cidr> trusted = config.trustedProxies();
        for (int i = 0; i < trusted.size(); i++) {
            if (trusted.get(i).contains(client)) {
                return true;
            }
        }
        return false;
    }

    private static String joined(HttpHeaders headers, CharSequence name) {
        List<String> values = headers.getAll(name);
        return values.isEmpty() ? null : String.join(", ", values);
    }

    /** An absolute-form target ({@code http://host/path}) is sent upstream in origin form. */
    static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme < 0) {
            return uri;
        }
        int path = uri.indexOf('/', scheme + 3);
        int query = uri.indexOf('?', scheme + 3);
        if (path < 0 || (query >= 0 && query < path)) {
            return query < 0 ? "/" : "/" + uri.substring(query);
        }
        return uri.substring(path);
    }
}
