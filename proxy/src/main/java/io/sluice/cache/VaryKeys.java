package io.sluice.cache;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The secondary key of a response that varies (RFC 9111 §4.1): the request's values of the fields its
 * {@code Vary} names, normalised (combined, split on commas, trimmed, lower case) so that requests that
 * differ only in spacing or case share a variant.
 */
public final class VaryKeys {
    /** Separates the primary key from the variant part; it cannot occur in a request line or field value. */
    static final char SEPARATOR = '\u0000';

    private VaryKeys() {
    }

    /** The field names a response's {@code Vary} lists, lower case, in order; empty when it has none. */
    public static List<String> names(HttpHeaders response) {
        List<String> names = new ArrayList<>();
        for (String field : response.getAll(HttpHeaderNames.VARY)) {
            for (String name : field.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty() && !names.contains(trimmed)) {
                    names.add(trimmed);
                }
            }
        }
        return List.copyOf(names);
    }

    /** The key of the variant the request selects among the responses under {@code primary}. */
    public static String variant(String primary, List<String> names, HttpHeaders request) {
        if (names.isEmpty()) {
            return primary;
        }
        StringBuilder key = new StringBuilder(primary.length() + 32).append(primary);
        for (String name : names) {
            key.append(SEPARATOR).append(name).append(':');
            boolean first = true;
            for (String field : request.getAll(name)) {
                for (String value : field.split(",")) {
                    String trimmed = value.trim();
                    if (trimmed.isEmpty()) {
                        continue;
                    }
                    if (!first) {
                        key.append(',');
                    }
                    key.append(trimmed.toLowerCase(Locale.ROOT));
                    first = false;
                }
            }
        }
        return key.toString();
    }

    /** The primary key of a stored key, variant part removed. */
    static String primary(String key) {
        int separator = key.indexOf(SEPARATOR);
        return separator < 0 ? key : key.substring(0, separator);
    }
}
