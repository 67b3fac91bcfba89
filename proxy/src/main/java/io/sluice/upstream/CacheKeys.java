package io.sluice.upstream;

import io.sluice.config.CacheKeyTemplate;
import io.sluice.http.Exchange;

/** Renders a location's {@code cache-key} for one request. */
final class CacheKeys {
    private CacheKeys() {
    }

    static String render(CacheKeyTemplate template, Exchange exchange) {
        StringBuilder key = new StringBuilder(64);
        String uri = exchange.request().uri();
        for (CacheKeyTemplate.Part part : template.parts()) {
            switch (part.kind()) {
                case LITERAL -> key.append(part.value());
                case SCHEME -> key.append(exchange.secure() ? "https://" : "http://");
                case HOST -> key.append(exchange.host());
                case URI -> key.append(exchange.path());
                case ARGS -> {
                    int query = uri.indexOf('?');
                    if (query >= 0 && query < uri.length() - 1) {
                        key.append(uri, query, uri.length());
                    }
                }
                case REQUEST_URI -> key.append(uri);
                case METHOD -> key.append(exchange.request().method().name());
                case HEADER -> {
                    String value = exchange.request().headers().get(part.value());
                    if (value != null) {
                        key.append(value);
                    }
                }
            }
        }
        return key.toString();
    }
}
