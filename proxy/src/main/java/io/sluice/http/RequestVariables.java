package io.sluice.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.sluice.config.RequestVariable;

import java.net.InetSocketAddress;

/** The value of a {@link RequestVariable} for one exchange: what every configured key is made of. */
public final class RequestVariables {
    private RequestVariables() {
    }

    /** The value, or null when the request has none (no such header or cookie, no query, no client address). */
    public static String value(RequestVariable variable, Exchange exchange) {
        return switch (variable.kind()) {
            case REMOTE_ADDR -> address(exchange.clientAddress());
            case SCHEME -> exchange.secure() ? "https" : "http";
            case HOST -> exchange.host();
            case URI -> exchange.path();
            case ARGS -> query(exchange.request().uri());
            case REQUEST_URI -> exchange.request().uri();
            case REQUEST_METHOD -> exchange.request().method().name();
            case HEADER -> exchange.request().headers().get(variable.name());
            case COOKIE -> cookie(exchange, variable.name());
        };
    }

    private static String address(InetSocketAddress client) {
        if (client == null) {
            return null;
        }
        return client.getAddress() != null ? client.getAddress().getHostAddress() : client.getHostString();
    }

    private static String query(String uri) {
        int mark = uri.indexOf('?');
        return mark < 0 || mark == uri.length() - 1 ? null : uri.substring(mark + 1);
    }

    private static String cookie(Exchange exchange, String name) {
        for (String header : exchange.request().headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (cookie.name().equals(name)) {
                    return cookie.value();
                }
            }
        }
        return null;
    }
}
