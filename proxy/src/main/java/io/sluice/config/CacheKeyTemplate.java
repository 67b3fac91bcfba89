package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code cache-key}: literal text and variables. {@code $scheme}, {@code $host}, {@code $uri}
 * (the normalised path), {@code $args} (the query string with its {@code ?}), {@code $request_uri} (the
 * target as sent), {@code $request_method} and {@code $http_NAME} (a request header, {@code _} for
 * {@code -}); {@code $scheme} renders as {@code http://} or {@code https://} so that keys read as URLs
 * (and a host cannot run into the scheme); {@code $args} renders with its {@code ?} so that {@code /a?b}
 * and {@code /ab} differ. A variable name ends at the first character that is not a letter, digit or {@code _}.
 */
public record CacheKeyTemplate(String text, List<Part> parts) {

    public enum Kind { LITERAL, SCHEME, HOST, URI, ARGS, REQUEST_URI, METHOD, HEADER }

    /** One piece of the key: {@code value} is the literal text, or the header name for {@link Kind#HEADER}. */
    public record Part(Kind kind, String value) {
    }

    public static CacheKeyTemplate parse(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            int end = i + 1;
            while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                end++;
            }
            String name = text.substring(i + 1, end).toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a lone $ at position " + i + " of \"" + text + "\"");
            }
            if (!literal.isEmpty()) {
                parts.add(new Part(Kind.LITERAL, literal.toString()));
                literal.setLength(0);
            }
            parts.add(variable(name, text));
            i = end;
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(Kind.LITERAL, literal.toString()));
        }
        if (parts.stream().allMatch(part -> part.kind() == Kind.LITERAL)) {
            throw new IllegalArgumentException("\"" + text + "\" has no variable: every request would share one entry");
        }
        return new CacheKeyTemplate(text, List.copyOf(parts));
    }

    private static Part variable(String name, String text) {
        return switch (name) {
            case "scheme" -> new Part(Kind.SCHEME, "");
            case "host" -> new Part(Kind.HOST, "");
            case "uri" -> new Part(Kind.URI, "");
            case "args" -> new Part(Kind.ARGS, "");
            case "request_uri" -> new Part(Kind.REQUEST_URI, "");
            case "request_method" -> new Part(Kind.METHOD, "");
            default -> {
                if (name.startsWith("http_") && name.length() > 5) {
                    yield new Part(Kind.HEADER, name.substring(5).replace('_', '-'));
                }
                throw new IllegalArgumentException("unknown variable $" + name + " in \"" + text
                        + "\" (known: $scheme, $host, $uri, $args, $request_uri, $request_method, $http_NAME)");
            }
        };
    }
}
