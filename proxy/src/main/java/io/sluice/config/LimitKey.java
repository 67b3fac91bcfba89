package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The key a request is limited by, such as {@code "$remote_addr"} or {@code "$host:$header:X-Api-Key"}:
 * literal text and variables, evaluated per request. {@code text} is the key as written. A key of literal
 * text only is one limit that every request of the location shares.
 */
public record LimitKey(String text, List<Part> parts) {

    /** What a variable of a key stands for. */
    public enum Variable {
        REMOTE_ADDR, HOST, URI, HEADER
    }

    /**
     * One piece of a key: a literal ({@code variable} null, {@code value} the text) or a variable
     * ({@code value} the header name for {@link Variable#HEADER}, else empty).
     */
    public record Part(Variable variable, String value) {
    }

    private static final String KNOWN = "$remote_addr, $host, $uri, $header:NAME";

    /** Reads the key at {@code key} of {@code node}; unknown variables are reported and left out. */
    static LimitKey read(ConfigNode node, String key, String fallback) {
        String text = node.string(key, fallback);
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
            int nameEnd = i + 1;
            while (nameEnd < text.length() && (Character.isLetter(text.charAt(nameEnd)) || text.charAt(nameEnd) == '_')) {
                nameEnd++;
            }
            String name = text.substring(i + 1, nameEnd).toLowerCase(Locale.ROOT);
            Part part = null;
            int end = nameEnd;
            switch (name) {
                case "remote_addr" -> part = new Part(Variable.REMOTE_ADDR, "");
                case "host" -> part = new Part(Variable.HOST, "");
                case "uri" -> part = new Part(Variable.URI, "");
                case "header" -> {
                    end = headerNameEnd(text, nameEnd);
                    if (end > nameEnd + 1) {
                        part = new Part(Variable.HEADER, text.substring(nameEnd + 1, end).toLowerCase(Locale.ROOT));
                    }
                }
                default -> {
                }
            }
            if (part == null && "header".equals(name)) {
                node.error(key, "$header needs a header name, e.g. $header:X-Api-Key (in \"" + text + "\")");
            } else if (part == null) {
                node.error(key, "unknown variable \"" + text.substring(i, Math.max(end, i + 1)) + "\" in \"" + text
                        + "\" (known: " + KNOWN + ")");
            } else {
                if (!literal.isEmpty()) {
                    parts.add(new Part(null, literal.toString()));
                    literal.setLength(0);
                }
                parts.add(part);
            }
            i = Math.max(end, i + 1);
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(null, literal.toString()));
        }
        if (text.isEmpty()) {
            node.error(key, "must not be empty (known variables: " + KNOWN + ")");
        }
        return new LimitKey(text, List.copyOf(parts));
    }

    /** {@code $header:NAME}: the name runs over token characters after the colon. */
    private static int headerNameEnd(String text, int colon) {
        if (colon >= text.length() || text.charAt(colon) != ':') {
            return colon;
        }
        int end = colon + 1;
        while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '-'
                || text.charAt(end) == '_')) {
            end++;
        }
        return end;
    }
}
