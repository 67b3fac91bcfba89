package io.sluice.routing;

import io.sluice.config.LimitKey;
import io.sluice.http.Exchange;

import java.net.InetSocketAddress;

/** Evaluates a {@code rate-limit} or {@code limit-conn} key for one request. */
final class LimitKeys {
    private LimitKeys() {
    }

    /**
     * The key of {@code exchange}; empty when every variable of the key is empty (only headers the request
     * does not carry can be), which, as in nginx, exempts the request from the limit.
     */
    static String evaluate(LimitKey key, Exchange exchange) {
        if (key.parts().size() == 1) {
            return value(key.parts().get(0), exchange);
        }
        StringBuilder text = new StringBuilder(64);
        boolean variables = false;
        boolean anyValue = false;
        for (LimitKey.Part part : key.parts()) {
            String value = value(part, exchange);
            if (part.variable() != null) {
                variables = true;
                anyValue |= !value.isEmpty();
            }
            text.append(value);
        }
        return !variables || anyValue ? text.toString() : "";
    }

    private static String value(LimitKey.Part part, Exchange exchange) {
        if (part.variable() == null) {
            return part.value();
        }
        return switch (part.variable()) {
            case REMOTE_ADDR -> address(exchange.clientAddress());
            // HTTP/1.0 without Host: one shared key, so leaving Host out is no way around a per-host limit
            case HOST -> exchange.host().isEmpty() ? "-" : exchange.host();
            case URI -> exchange.path();
            case HEADER -> {
                String header = exchange.request().headers().get(part.value());
                yield header == null ? "" : header;
            }
        };
    }

    private static String address(InetSocketAddress client) {
        return client == null || client.getAddress() == null ? "" : client.getAddress().getHostAddress();
    }
}
