package io.sluice.config;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How a location matches a request path, written as nginx does: {@code "= /exact"}, {@code "/prefix"},
 * {@code "^~ /prefix"} (a prefix that, when longest, skips the regex locations), {@code "~ regex"} and
 * {@code "~* regex"} (case-insensitive).
 */
public record LocationMatch(Kind kind, String value, Pattern regex) {

    public enum Kind { EXACT, PREFIX, PREFIX_NO_REGEX, REGEX }

    static LocationMatch read(ConfigNode node) {
        String text = node.string("match", "");
        if (text.isEmpty()) {
            node.error("match", "required, e.g. \"/\", \"= /healthz\" or \"~ ^/api/\"");
            return new LocationMatch(Kind.PREFIX, "/", null);
        }
        try {
            if (text.startsWith("=")) {
                return new LocationMatch(Kind.EXACT, path(text.substring(1)), null);
            }
            if (text.startsWith("^~")) {
                return new LocationMatch(Kind.PREFIX_NO_REGEX, path(text.substring(2)), null);
            }
            if (text.startsWith("~*")) {
                String source = text.substring(2).trim();
                return new LocationMatch(Kind.REGEX, source, Pattern.compile(source, Pattern.CASE_INSENSITIVE));
            }
            if (text.startsWith("~")) {
                String source = text.substring(1).trim();
                return new LocationMatch(Kind.REGEX, source, Pattern.compile(source));
            }
            return new LocationMatch(Kind.PREFIX, path(text), null);
        } catch (PatternSyntaxException e) {
            node.error("match", "bad regular expression: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            node.error("match", e.getMessage());
        }
        return new LocationMatch(Kind.PREFIX, "/", null);
    }

    private static String path(String text) {
        String path = text.trim();
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("a path must start with / (got \"" + path + "\")");
        }
        return path;
    }

    public boolean isPrefix() {
        return kind == Kind.PREFIX || kind == Kind.PREFIX_NO_REGEX;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> "= " + value;
            case PREFIX -> value;
            case PREFIX_NO_REGEX -> "^~ " + value;
            case REGEX -> (regex.flags() & Pattern.CASE_INSENSITIVE) != 0 ? "~* " + value : "~ " + value;
        };
    }
}
