package io.sluice.accesslog;

import io.sluice.config.AccessLogConfig;
import io.sluice.util.Json;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * A compiled access log format: {@code combined} (nginx's), {@code json} (one object per line), or a
 * custom string of literal text and {@code $variables}. Text formats escape what could break a line or a
 * quoted field ({@code "}, {@code \}, control bytes and every non-ASCII byte) as {@code \xHH}, as nginx
 * does; JSON escapes per RFC 8259 and writes every char above 0x7e as {@code \\u00HH}, so a hostile header can
 * neither split a record nor produce invalid output. Netty decodes header bytes as ISO-8859-1, so each
 * char below 0x100 is exactly one byte the client sent.
 */
public final class AccessLogFormat {
    static final String COMBINED = "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent"
            + " \"$http_referer\" \"$http_user_agent\"";
    private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final boolean json;
    private final List<Part> parts;
    private final List<String> headerNames;
    private final ZoneId zone;

    private interface Part {
        void append(StringBuilder out, AccessLogEntry entry, AccessLogFormat format);
    }

    private AccessLogFormat(boolean json, List<Part> parts, List<String> headerNames, ZoneId zone) {
        this.json = json;
        this.parts = parts;
        this.headerNames = headerNames;
        this.zone = zone;
    }

    public static AccessLogFormat compile(String format) {
        return compile(format, ZoneId.systemDefault());
    }

    static AccessLogFormat compile(String format, ZoneId zone) {
        if ("json".equals(format)) {
            return new AccessLogFormat(true, List.of(), List.of("referer", "user-agent"), zone);
        }
        String source = "combined".equals(format) ? COMBINED : format;
        List<Part> parts = new ArrayList<>();
        List<String> headerNames = new ArrayList<>();
        Matcher matcher = AccessLogConfig.VARIABLE.matcher(source);
        int literalStart = 0;
        while (matcher.find()) {
            if (matcher.start() > literalStart) {
                String literal = source.substring(literalStart, matcher.start());
                parts.add((out, entry, f) -> out.append(literal));
            }
            String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
            parts.add(variable(name, headerNames));
            literalStart = matcher.end();
        }
        if (literalStart < source.length()) {
            String literal = source.substring(literalStart);
            parts.add((out, entry, f) -> out.append(literal));
        }
        return new AccessLogFormat(false, List.copyOf(parts), List.copyOf(headerNames), zone);
    }

    private static Part variable(String name, List<String> headerNames) {
        if (name.startsWith("http_")) {
            String header = name.substring(5).replace('_', '-');
            int index = headerNames.indexOf(header);
            if (index < 0) {
                index = headerNames.size();
                headerNames.add(header);
            }
            int slot = index;
            return (out, entry, f) -> escaped(out, entry.headers()[slot]);
        }
        return switch (name) {
            case "remote_addr" -> (out, entry, f) -> escaped(out, entry.remoteAddr());
            case "remote_port" -> (out, entry, f) -> number(out, entry.remotePort());
            case "time_local" -> (out, entry, f) -> out.append(f.localTime(entry.timeMillis()));
            case "time_iso8601" -> (out, entry, f) -> out.append(f.isoTime(entry.timeMillis()));
            case "msec" -> (out, entry, f) -> out.append(String.format(Locale.ROOT, "%.3f", entry.timeMillis() / 1000.0));
            case "request" -> (out, entry, f) -> {
                escaped(out, entry.method());
                out.append(' ');
                escaped(out, entry.uri());
                out.append(' ');
                escaped(out, entry.protocol());
            };
            case "request_method" -> (out, entry, f) -> escaped(out, entry.method());
            case "request_uri" -> (out, entry, f) -> escaped(out, entry.uri());
            case "server_protocol" -> (out, entry, f) -> escaped(out, entry.protocol());
            case "status" -> (out, entry, f) -> out.append(entry.status());
            case "body_bytes_sent" -> (out, entry, f) -> out.append(Math.max(0, entry.bodyBytesSent()));
            case "request_length" -> (out, entry, f) -> out.append(Math.max(0, entry.requestLength()));
            case "request_time" -> (out, entry, f) -> seconds(out, entry.requestNanos());
            case "host" -> (out, entry, f) -> escaped(out, entry.host());
            case "server_name" -> (out, entry, f) -> escaped(out, entry.server());
            case "location" -> (out, entry, f) -> escaped(out, entry.location());
            case "upstream_addr" -> (out, entry, f) -> escaped(out, entry.upstreamAddr());
            case "upstream_status" -> (out, entry, f) -> number(out, entry.upstreamStatus());
            case "upstream_response_time" -> (out, entry, f) -> seconds(out, entry.upstreamResponseNanos());
            default -> throw new IllegalArgumentException("unknown access log variable $" + name);
        };
    }

    /** The request headers an entry must carry, lower case, in slot order. */
    public List<String> headerNames() {
        return headerNames;
    }

    /** Appends one line, with its newline. */
    public void format(AccessLogEntry entry, StringBuilder out) {
        if (json) {
            json(entry, out);
        } else {
            for (Part part : parts) {
                part.append(out, entry, this);
            }
        }
        out.append('\n');
    }

    private void json(AccessLogEntry entry, StringBuilder out) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("time", isoTime(entry.timeMillis()));
        fields.put("remote_addr", entry.remoteAddr());
        fields.put("method", entry.method());
        fields.put("uri", entry.uri());
        fields.put("protocol", entry.protocol());
        fields.put("host", entry.host());
        fields.put("status", entry.status());
        fields.put("body_bytes_sent", Math.max(0, entry.bodyBytesSent()));
        fields.put("request_length", Math.max(0, entry.requestLength()));
        fields.put("request_time", seconds(entry.requestNanos()));
        fields.put("server", entry.server());
        fields.put("location", entry.location());
        fields.put("referer", entry.headers()[0]);
        fields.put("user_agent", entry.headers()[1]);
        if (entry.upstreamAddr() != null) {
            fields.put("upstream_addr", entry.upstreamAddr());
            fields.put("upstream_status", entry.upstreamStatus() < 0 ? null : entry.upstreamStatus());
            fields.put("upstream_response_time", entry.upstreamResponseNanos() < 0 ? null : seconds(entry.upstreamResponseNanos()));
        }
        Json.append(out, fields);
    }

    private String localTime(long millis) {
        return LOCAL_TIME.format(ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), zone));
    }

    private String isoTime(long millis) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(ZonedDateTime.ofInstant(Instant.ofEpochMilli(millis), zone));
    }

    /** Seconds with microsecond precision, written plainly (never in exponent notation). */
    private static BigDecimal seconds(long nanos) {
        return BigDecimal.valueOf(nanos / 1000, 6);
    }

    private static void number(StringBuilder out, long value) {
        if (value < 0) {
            out.append('-');
        } else {
            out.append(value);
        }
    }

    private static void seconds(StringBuilder out, long nanos) {
        if (nanos < 0) {
            out.append('-');
        } else {
            out.append(String.format(Locale.ROOT, "%.3f", nanos / 1e9));
        }
    }

    private static void escaped(StringBuilder out, String value) {
        if (value == null || value.isEmpty()) {
            out.append('-');
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                if (c > 0xff) {
                    for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                        hexByte(out, b & 0xff);
                    }
                } else {
                    hexByte(out, c);
                }
            } else {
                out.append(c);
            }
        }
    }

    private static void hexByte(StringBuilder out, int b) {
        out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xf]);
    }
}
