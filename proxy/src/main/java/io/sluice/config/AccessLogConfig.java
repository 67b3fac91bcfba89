package io.sluice.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where and how requests are logged: {@code format} is {@code combined}, {@code json}, {@code off}, or a
 * format string of literal text and {@code $variables}. The top-level block is the default; a server
 * block may override it with its own {@code access-log}, whose missing keys inherit from the default.
 */
public record AccessLogConfig(Path path, String format) {
    /** The variables a custom format may use, besides {@code $http_NAME} for any request header. */
    public static final Set<String> VARIABLES = Set.of("remote_addr", "remote_port", "time_local", "time_iso8601",
            "msec", "request", "request_method", "request_uri", "server_protocol", "status", "body_bytes_sent",
            "request_length", "request_time", "host", "server_name", "location", "upstream_addr", "upstream_status",
            "upstream_response_time", "http_referer", "http_user_agent");
    /** A variable reference: {@code $name} or {@code ${name}}. */
    public static final Pattern VARIABLE = Pattern.compile("\\$(?:\\{([a-z0-9_]+)}|([a-z0-9_]+))");

    static AccessLogConfig read(ConfigNode node, Path baseDirectory, AccessLogConfig inherited) {
        String pathText = node.string("path", inherited == null ? "logs/access.log" : null);
        String format = node.string("format", inherited == null ? "combined" : inherited.format());
        if (format.isBlank()) {
            node.error("format", "must be combined, json, off, or a format string such as \"$remote_addr $status\"");
        }
        for (String unknown : unknownVariables(format)) {
            node.error("format", "unknown variable $" + unknown + " (known: $" + String.join(", $", VARIABLES.stream().sorted().toList())
                    + ", $http_NAME)");
        }
        node.finish();
        Path path = pathText == null ? inherited.path() : baseDirectory.resolve(pathText).normalize();
        return new AccessLogConfig(path, format);
    }

    private static List<String> unknownVariables(String format) {
        List<String> unknown = new ArrayList<>();
        if ("combined".equals(format) || "json".equals(format) || "off".equals(format)) {
            return unknown;
        }
        Matcher matcher = VARIABLE.matcher(format);
        while (matcher.find()) {
            String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
            if (!VARIABLES.contains(name) && !name.startsWith("http_")) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    public boolean enabled() {
        return !"off".equals(format);
    }
}
