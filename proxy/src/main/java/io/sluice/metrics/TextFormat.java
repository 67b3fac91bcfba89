package io.sluice.metrics;

/**
 * The Prometheus text exposition format, version 0.0.4, written as the Prometheus Java client (1.x) writes
 * it, which Sluice used before and whose output is the documented contract: metrics ordered by name, a
 * {@code # HELP} and {@code # TYPE} line each, series ordered by label values, label names sorted,
 * values as {@link Double#toString} writes them.
 */
final class TextFormat {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private TextFormat() {
    }

    static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ');
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static void sample(StringBuilder out, String name, SeriesLabels labels, String value) {
        out.append(name);
        labels.writeTo(out, null, null);
        out.append(' ').append(value).append('\n');
    }

    static String number(double value) {
        if (value == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        return value == Double.NEGATIVE_INFINITY ? "-Inf" : Double.toString(value);
    }
}
