package io.sluice.upstream;

import io.sluice.config.VariableText;
import io.sluice.http.Exchange;
import io.sluice.http.RequestVariables;

/** Renders the {@code hash-key} of a request: client address, a header, a cookie, the path, or text made of them. */
final class HashKeys {
    private HashKeys() {
    }

    /** The key, or null when the request has none of its variables (no such header or cookie). */
    static String of(Exchange exchange, VariableText key) {
        if (key.parts().size() == 1 && key.parts().get(0).variable() != null) {
            return RequestVariables.value(key.parts().get(0).variable(), exchange);
        }
        StringBuilder text = new StringBuilder(64);
        boolean anyValue = false;
        for (VariableText.Part part : key.parts()) {
            if (part.variable() == null) {
                text.append(part.literal());
                continue;
            }
            String value = RequestVariables.value(part.variable(), exchange);
            if (value != null) {
                anyValue = true;
                text.append(value);
            }
        }
        return anyValue || !key.hasVariables() ? text.toString() : null;
    }
}
