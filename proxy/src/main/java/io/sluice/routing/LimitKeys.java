package io.sluice.routing;

import io.sluice.config.RequestVariable;
import io.sluice.config.VariableText;
import io.sluice.http.Exchange;
import io.sluice.http.RequestVariables;

/** Evaluates a {@code rate-limit} or {@code limit-conn} key for one request. */
final class LimitKeys {
    private LimitKeys() {
    }

    /**
     * The key of {@code exchange}; empty when every variable of the key is empty (a header or cookie the
     * request does not carry, no query), which, as in nginx, exempts the request from the limit.
     */
    static String evaluate(VariableText key, Exchange exchange) {
        if (key.parts().size() == 1) {
            return value(key.parts().get(0), exchange);
        }
        StringBuilder text = new StringBuilder(64);
        boolean variables = false;
        boolean anyValue = false;
        for (VariableText.Part part : key.parts()) {
            String value = value(part, exchange);
            if (part.variable() != null) {
                variables = true;
                anyValue |= !value.isEmpty();
            }
            text.append(value);
        }
        return !variables || anyValue ? text.toString() : "";
    }

    private static String value(VariableText.Part part, Exchange exchange) {
        if (part.variable() == null) {
            return part.literal();
        }
        String value = RequestVariables.value(part.variable(), exchange);
        // HTTP/1.0 without Host: one shared key, so leaving Host out is no way around a per-host limit
        if (part.variable().kind() == RequestVariable.Kind.HOST && (value == null || value.isEmpty())) {
            return "-";
        }
        return value == null ? "" : value;
    }
}
