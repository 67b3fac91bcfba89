package io.sluice.http;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;

/**
 * {@code redirect-to-https}: answers a plain-HTTP request with a redirect to the same host and target
 * over HTTPS, 301 for GET and HEAD and 308 otherwise (so the method and body are kept when the client
 * follows it).
 */
public final class HttpsRedirect {
    private HttpsRedirect() {
    }

    public static ExchangeHandler to(int httpsPort) {
        return exchange -> {
            HttpMethod method = exchange.request().method();
            HttpResponseStatus status = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)
                    ? HttpResponseStatus.MOVED_PERMANENTLY : HttpResponseStatus.PERMANENT_REDIRECT;
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
            response.headers()
                    .set(HttpHeaderNames.LOCATION, location(exchange, httpsPort))
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            exchange.writeAndFlush(response);
            return ExchangeListener.IGNORE_BODY;
        };
    }

    private static String location(Exchange exchange, int httpsPort) {
        String host = exchange.host();
        if (host.isEmpty()) {
            host = exchange.channel().localAddress() instanceof InetSocketAddress local
                    ? local.getAddress().getHostAddress() : "localhost";
            host = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        }
        return "https://" + host + (httpsPort == 443 ? "" : ":" + httpsPort) + originForm(exchange.request().uri());
    }

    /** The path and query of a request target; an absolute-form target loses its scheme and authority. */
    private static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int authority = uri.indexOf("://");
        int path = authority < 0 ? -1 : uri.indexOf('/', authority + 3);
        return path < 0 ? "/" : uri.substring(path);
    }
}
