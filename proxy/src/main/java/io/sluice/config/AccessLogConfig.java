package io.sluice.config;

/** Where and how requests are logged; {@code format} is combined, json, off, or a custom format string. */
public record AccessLogConfig(String path, String format) {

    static AccessLogConfig read(ConfigNode node) {
        String path = node.string("path", "logs/access.log");
        String format = node.string("format", "combined");
        if (format.isEmpty()) {
            node.error("format", "must be combined, json, off, or a format string");
        }
        node.finish();
        return new AccessLogConfig(path, format);
    }

    public boolean enabled() {
        return !"off".equals(format);
    }
}
