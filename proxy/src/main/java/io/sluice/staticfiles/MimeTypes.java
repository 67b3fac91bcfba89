package io.sluice.staticfiles;

import io.netty.util.AsciiString;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Content-Type by file extension: the table in {@code mime.types} beside this class, with a location's
 * {@code mime-types} overrides on top. Text-like types carry {@code charset=utf-8}. Values are built
 * once, so serving a file looks up a ready header value.
 */
final class MimeTypes {
    static final AsciiString DEFAULT = AsciiString.cached("application/octet-stream");

    private static final Set<String> TEXT_LIKE = Set.of("application/javascript", "application/json",
            "application/ld+json", "application/manifest+json", "application/atom+xml", "application/rss+xml",
            "application/xhtml+xml", "application/xml", "application/sql", "application/graphql",
            "application/toml", "application/x-ndjson", "image/svg+xml");
    /** Compiled once: {@code String.split} compiles a multi-character pattern again for every line. */
    private static final Pattern FIELD_SEPARATOR = Pattern.compile("\\s+");
    private static final Map<String, String> BUILT_IN = load();

    private final Map<String, AsciiString> byExtension;

    MimeTypes(Map<String, String> overrides) {
        Map<String, AsciiString> table = new HashMap<>();
        BUILT_IN.forEach((extension, type) -> table.put(extension, withCharset(type)));
        overrides.forEach((extension, type) -> table.put(normalizeExtension(extension), withCharset(type)));
        this.byExtension = Map.copyOf(table);
    }

    /** The Content-Type value for a file name; {@code application/octet-stream} when unknown. */
    AsciiString forFileName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1) {
            return DEFAULT;
        }
        return byExtension.getOrDefault(fileName.substring(dot + 1).toLowerCase(Locale.ROOT), DEFAULT);
    }

    static AsciiString withCharset(String type) {
        String trimmed = type.trim();
        String base = trimmed.toLowerCase(Locale.ROOT);
        int semicolon = base.indexOf(';');
        if (semicolon >= 0) {
            base = base.substring(0, semicolon).trim();
        }
        boolean textLike = base.startsWith("text/") || TEXT_LIKE.contains(base);
        boolean hasCharset = trimmed.toLowerCase(Locale.ROOT).contains("charset=");
        return AsciiString.cached(textLike && !hasCharset ? trimmed + "; charset=utf-8" : trimmed);
    }

    private static String normalizeExtension(String extension) {
        String trimmed = extension.trim().toLowerCase(Locale.ROOT);
        return trimmed.startsWith(".") ? trimmed.substring(1) : trimmed;
    }

    private static Map<String, String> load() {
        Map<String, String> table = new HashMap<>();
        try (InputStream in = MimeTypes.class.getResourceAsStream("mime.types")) {
            if (in == null) {
                throw new IllegalStateException("mime.types missing from the class path");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null) {
                String trimmed = line.trim();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                String[] fields = FIELD_SEPARATOR.split(trimmed);
                for (int i = 1; i < fields.length; i++) {
                    table.put(fields[i], fields[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(table);
    }
}
