package io.sluice.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A configured value made of literal text and request variables, written the same way wherever the
 * configuration takes one: {@code $remote_addr}, {@code $scheme}, {@code $host}, {@code $uri},
 * {@code $args}, {@code $request_uri}, {@code $request_method}, a request header as nginx spells it
 * ({@code $http_x_api_key}, {@code _} for {@code -}) or by its own name ({@code $header:X-Api-Key}), a
 * cookie as {@code $cookie_session} or {@code $cookie:session}. A simple name ends at the first character
 * that is not a letter, digit or {@code _}; a name after {@code :} also takes {@code -}. Each use names
 * the variables it accepts.
 */
public record VariableText(String text, List<Part> parts) {

    /** A literal ({@code variable} null) or a variable ({@code literal} empty). */
    public record Part(RequestVariable variable, String literal) {
        static Part of(RequestVariable variable) {
            return new Part(variable, "");
        }
    }

    /** Every variable. */
    public static final Set<RequestVariable.Kind> ALL = EnumSet.allOf(RequestVariable.Kind.class);

    /** Parses {@code text}; an unknown or unaccepted variable, or a lone {@code $}, is an IllegalArgumentException. */
    public static VariableText parse(String text, Set<RequestVariable.Kind> accepted) {
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
            int nameEnd = scan(text, i + 1, false);
            String raw = text.substring(i + 1, nameEnd);
            String name = raw.toLowerCase(Locale.ROOT);
            int end = nameEnd;
            RequestVariable variable;
            if ((name.equals("header") || name.equals("cookie")) && nameEnd < text.length() && text.charAt(nameEnd) == ':') {
                end = scan(text, nameEnd + 1, true);
                variable = named(name.equals("header") ? RequestVariable.Kind.HEADER : RequestVariable.Kind.COOKIE,
                        text.substring(nameEnd + 1, end), text);
            } else {
                variable = simple(raw, text, i);
            }
            if (!accepted.contains(variable.kind())) {
                throw new IllegalArgumentException("$" + text.substring(i + 1, end) + " cannot be used here (in \""
                        + text + "\"; usable: " + spellings(accepted) + ")");
            }
            if (!literal.isEmpty()) {
                parts.add(new Part(null, literal.toString()));
                literal.setLength(0);
            }
            parts.add(Part.of(variable));
            i = end;
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(null, literal.toString()));
        }
        return new VariableText(text, List.copyOf(parts));
    }

    /**
     * Reads {@code key} of {@code node}; a text that does not parse is reported there and {@code fallback}
     * (which must parse) stands in for it, so that one run reports every problem of a file.
     */
    static VariableText read(ConfigNode node, String key, String fallback, Set<RequestVariable.Kind> accepted) {
        String text = node.string(key, fallback);
        if (text.isEmpty()) {
            node.error(key, "must not be empty (variables: " + spellings(accepted) + ")");
            return parse(fallback, accepted);
        }
        try {
            return parse(text, accepted);
        } catch (IllegalArgumentException e) {
            node.error(key, e.getMessage());
            return parse(fallback, accepted);
        }
    }

    /** Whether any part is a variable. */
    public boolean hasVariables() {
        return parts.stream().anyMatch(part -> part.variable() != null);
    }

    /** Whether the only variables are of {@code kind}. */
    public boolean onlyVariablesOf(RequestVariable.Kind kind) {
        return parts.stream().allMatch(part -> part.variable() == null || part.variable().kind() == kind);
    }

    private static RequestVariable simple(String raw, String text, int at) {
        String name = raw.toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a lone $ at position " + at + " of \"" + text + "\"");
        }
        if (name.startsWith("http_")) {
            return named(RequestVariable.Kind.HEADER, name.substring(5).replace('_', '-'), text);
        }
        if (name.startsWith("cookie_")) {
            return named(RequestVariable.Kind.COOKIE, raw.substring(7), text);
        }
        return switch (name) {
            case "remote_addr" -> RequestVariable.of(RequestVariable.Kind.REMOTE_ADDR);
            case "scheme" -> RequestVariable.of(RequestVariable.Kind.SCHEME);
            case "host" -> RequestVariable.of(RequestVariable.Kind.HOST);
            case "uri" -> RequestVariable.of(RequestVariable.Kind.URI);
            case "args" -> RequestVariable.of(RequestVariable.Kind.ARGS);
            case "request_uri" -> RequestVariable.of(RequestVariable.Kind.REQUEST_URI);
            case "request_method" -> RequestVariable.of(RequestVariable.Kind.REQUEST_METHOD);
            default -> throw new IllegalArgumentException("unknown variable $" + name + " in \"" + text
                    + "\" (known: " + spellings(ALL) + ")");
        };
    }

    private static RequestVariable named(RequestVariable.Kind kind, String name, String text) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException((kind == RequestVariable.Kind.HEADER ? "a header" : "a cookie")
                    + " variable needs a name, e.g. " + (kind == RequestVariable.Kind.HEADER
                    ? "$header:X-Api-Key or $http_x_api_key" : "$cookie:session or $cookie_session")
                    + " (in \"" + text + "\")");
        }
        // header names are case-insensitive; cookie names are not
        return new RequestVariable(kind, kind == RequestVariable.Kind.HEADER ? name.toLowerCase(Locale.ROOT) : name);
    }

    private static int scan(String text, int from, boolean dashes) {
        int end = from;
        while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_'
                || (dashes && text.charAt(end) == '-'))) {
            end++;
        }
        return end;
    }

    private static String spellings(Set<RequestVariable.Kind> kinds) {
        List<String> names = new ArrayList<>();
        for (RequestVariable.Kind kind : kinds) {
            names.add(switch (kind) {
                case HEADER -> "$http_NAME or $header:NAME";
                case COOKIE -> "$cookie_NAME or $cookie:NAME";
                default -> "$" + kind.name().toLowerCase(Locale.ROOT);
            });
        }
        return String.join(", ", names);
    }
}
