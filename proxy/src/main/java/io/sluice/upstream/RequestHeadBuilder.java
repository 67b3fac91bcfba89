package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.sluice.config.ProxyConfig;
import io.sluice.http.Exchange;
import io.sluice.http.HeadBytes;
import io.sluice.util.Cidr;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Builds the request head sent upstream from the client's: hop-by-hop fields dropped (WebSocket's
 * {@code Upgrade} kept), the body framed one way only ({@code Content-Length} or chunked), {@code Expect}
 * answered here rather than forwarded, the forwarding headers added, and the location's
 * {@code request-headers} rules applied last.
 *
 * <p>The fields are produced in one pass that only ever appends: a field a rule removes or replaces is
 * never produced in the first place. That lets an HTTP/1.1 head be written straight into the buffer that goes
 * to the socket ({@link #encode}), with no header map or encoder in between; an HTTP/2 upstream gets the same
 * fields as an {@link HttpRequest} ({@link #build}).
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
    private static final AsciiString VIA_10 = AsciiString.cached("1.0 sluice");
    private static final AsciiString VIA_11 = AsciiString.cached("1.1 sluice");
    private static final AsciiString HTTP_11_LINE_END = AsciiString.cached(" HTTP/1.1\r\n");
    /** Fields of the client's head that are never copied: this builder writes its own, or none. */
    private static final AsciiString[] REPLACED = {
            HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.EXPECT, X_FORWARDED_FOR, X_REAL_IP,
            X_FORWARDED_PROTO, X_FORWARDED_HOST, FORWARDED,
    };
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private final ProxyConfig config;
    /** Names the rules remove or set: no field of these names is produced except the rules' own. */
    private final AsciiString[] ruledNames;
    private final AsciiString[] setNames;
    private final String[] setValues;

    RequestHeadBuilder(ProxyConfig config) {
        this.config = config;
        // names compare case-insensitively: of two set rules for one name the later wins, as a set would
        Map<String, Map.Entry<String, String>> sets = new LinkedHashMap<>();
        config.requestHeaders().set().forEach((name, value) -> {
            String key = name.toLowerCase(Locale.ROOT);
            sets.remove(key);
            sets.put(key, Map.entry(name, value));
        });
        this.setNames = sets.values().stream().map(e -> AsciiString.of(e.getKey())).toArray(AsciiString[]::new);
        this.setValues = sets.values().stream().map(Map.Entry::getValue).toArray(String[]::new);
        List<AsciiString> ruled = new ArrayList<>(List.of(setNames));
        config.requestHeaders().remove().forEach(name -> ruled.add(AsciiString.of(name)));
        this.ruledNames = ruled.toArray(AsciiString[]::new);
    }

    /** True for a WebSocket handshake, the one upgrade that is forwarded. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, WEBSOCKET, true);
    }

    /** True when a 101 answer switches to WebSocket alone, the one protocol Sluice asks an upstream for. */
    static boolean switchesToWebSocket(HttpResponse response) {
        List<String> upgrades = response.headers().getAll(HttpHeaderNames.UPGRADE);
        return upgrades.size() == 1 && WEBSOCKET.contentEqualsIgnoreCase(upgrades.get(0).trim());
    }

    /**
     * The upstream request head as HTTP/1.1 bytes, request line to the empty line, in one buffer.
     *
     * @param chunked the body, if any, comes as chunks rather than under {@code Content-Length}
     */
    ByteBuf encode(Exchange exchange, UpstreamServer server, boolean hasBody, boolean chunked, boolean webSocket,
                   ByteBufAllocator alloc) {
        HttpRequest in = exchange.request();
        HeadBytes head = HeadBytes.get();
        head.ascii(in.method().asciiName());
        head.put(' ');
        head.utf8(originForm(in.uri()));
        head.ascii(HTTP_11_LINE_END);
        fields(exchange, server, hasBody, chunked, webSocket, head);
        head.crlf();
        return head.toBuffer(alloc);
    }

    /**
     * The upstream request head as a message, for an HTTP/2 upstream; a
     * {@link io.netty.handler.codec.http.FullHttpRequest} with an empty body when the request has none, so
     * that it goes out in one write.
     */
    HttpRequest build(Exchange exchange, UpstreamServer server, boolean hasBody, boolean chunked, boolean webSocket) {
        HttpRequest in = exchange.request();
        HttpHeaders out = HEADERS.newHeaders();
        fields(exchange, server, hasBody, chunked, webSocket, out::add);
        String uri = originForm(in.uri());
        if (hasBody) {
            return new DefaultHttpRequest(HttpVersion.HTTP_1_1, in.method(), uri, out);
        }
        // a request sent with Content-Length has no trailer section: the shared empty headers stand in for it
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, in.method(), uri, Unpooled.EMPTY_BUFFER, out,
                EmptyHttpHeaders.INSTANCE);
    }

    private void fields(Exchange exchange, UpstreamServer server, boolean hasBody, boolean chunked, boolean webSocket,
                        BiConsumer<CharSequence, CharSequence> out) {
        HttpHeaders source = exchange.request().headers();
        List<String> listed = HopByHop.connectionOptions(source);
        Iterator<Map.Entry<CharSequence, CharSequence>> it = source.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            CharSequence name = header.getKey();
            if (HopByHop.isFixed(name) || isReplaced(name) || isRuled(name)
                    || (!listed.isEmpty() && HopByHop.isListed(name, listed))) {
                continue;
            }
            out.accept(name, header.getValue());
        }
        if (hasBody) {
            if (chunked) {
                out.accept(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                out.accept(HttpHeaderNames.CONTENT_LENGTH, source.get(HttpHeaderNames.CONTENT_LENGTH));
            }
        } else if (source.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            out.accept(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
        }
        if (webSocket) {
            add(out, HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            add(out, HttpHeaderNames.UPGRADE, source.get(HttpHeaderNames.UPGRADE));
        }
        String clientHost = source.get(HttpHeaderNames.HOST);
        add(out, HttpHeaderNames.HOST, upstreamHost(clientHost, server));
        addForwarding(exchange, source, out, clientHost);
        for (int i = 0; i < setNames.length; i++) {
            out.accept(setNames[i], setValues[i]);
        }
    }

    /** Adds a field the builder makes unless a rule removes or replaces it. */
    private void add(BiConsumer<CharSequence, CharSequence> out, AsciiString name, CharSequence value) {
        if (!isRuled(name)) {
            out.accept(name, value);
        }
    }

    private static boolean isReplaced(CharSequence name) {
        for (AsciiString replaced : REPLACED) {
            if (replaced.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private boolean isRuled(CharSequence name) {
        for (AsciiString ruled : ruledNames) {
            if (ruled.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
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

    private void addForwarding(Exchange exchange, HttpHeaders source, BiConsumer<CharSequence, CharSequence> out, String clientHost) {
        InetAddress client = exchange.clientAddress().getAddress();
        String clientIp = ClientAddressText.of(client);
        boolean trusted = isTrusted(client);
        String earlier = trusted ? joined(source, X_FORWARDED_FOR) : null;
        add(out, X_FORWARDED_FOR, earlier == null ? clientIp : earlier + ", " + clientIp);
        add(out, X_REAL_IP, clientIp);
        add(out, X_FORWARDED_PROTO, exchange.secure() ? HTTPS : HTTP);
        if (clientHost != null) {
            add(out, X_FORWARDED_HOST, clientHost);
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
            add(out, FORWARDED, earlierForwarded == null ? element.toString() : earlierForwarded + ", " + element);
        }
        if (config.via()) {
            add(out, HttpHeaderNames.VIA, exchange.request().protocolVersion().minorVersion() == 0 ? VIA_10 : VIA_11);
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
