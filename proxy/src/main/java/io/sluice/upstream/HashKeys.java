package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.sluice.config.BalancingConfig;
import io.sluice.http.Exchange;

import java.net.InetSocketAddress;

/** Extracts the {@code hash-key} of a request: client address, a header, a cookie or the path. */
final class HashKeys {
    private HashKeys() {
    }

    /** The key, or null when the request has none (no such header or cookie). */
    static String of(Exchange exchange, BalancingConfig.HashKey key) {
        return switch (key.source()) {
            case REMOTE_ADDR -> {
                InetSocketAddress client = exchange.clientAddress();
                yield client == null ? null : client.getAddress() != null
                        ? client.getAddress().getHostAddress() : client.getHostString();
            }
            case URI -> exchange.path();
            case HEADER -> exchange.request().headers().get(key.name());
            case COOKIE -> cookie(exchange, key.name());
        };
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
