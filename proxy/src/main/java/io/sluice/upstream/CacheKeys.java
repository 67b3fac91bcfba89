package io.sluice.upstream;

import io.sluice.config.VariableText;
import io.sluice.http.Exchange;
import io.sluice.http.RequestVariables;

/**
 * Renders a location's {@code cache-key} for one request. {@code $scheme} renders as {@code http://} or
 * {@code https://} so that keys read as URLs and a host cannot run into the scheme; {@code $args} renders
 * with its {@code ?} so that {@code /a?b} and {@code /ab} differ.
 */
final class CacheKeys {
    private CacheKeys() {
    }

    static String render(VariableText template, Exchange exchange) {
        StringBuilder key = new StringBuilder(64);
        for (VariableText.Part part : template.parts()) {
            if (part.variable() == null) {
                key.append(part.literal());
                continue;
            }
            String value = RequestVariables.value(part.variable(), exchange);
            if (value == null) {
                continue;
            }
            switch (part.variable().kind()) {
                case SCHEME -> key.append(value).append("://");
                case ARGS -> key.append('?').append(value);
                default -> key.append(value);
            }
        }
        return key.toString();
    }
}
