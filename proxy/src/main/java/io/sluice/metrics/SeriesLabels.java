package io.sluice.metrics;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The label names and values of one series, in the order the exposition writes them (by name), made once
 * when the series is created. Within one metric every series has the same names, so series order by their
 * values, compared one after the other.
 */
final class SeriesLabels implements Comparable<SeriesLabels> {
    static final SeriesLabels NONE = new SeriesLabels(new String[0], new String[0]);

    private final String[] names;
    private final String[] values;

    private SeriesLabels(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    /** {@code values} in the order of {@code names}, as declared; checks that they pair up. */
    static SeriesLabels of(String[] names, String[] values) {
        if (values.length != names.length) {
            throw new IllegalArgumentException("expected " + names.length + " label values, got " + values.length);
        }
        Integer[] order = new Integer[names.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(i -> names[i]));
        String[] sortedNames = new String[names.length];
        String[] sortedValues = new String[names.length];
        for (int i = 0; i < order.length; i++) {
            sortedNames[i] = names[order[i]];
            sortedValues[i] = values[order[i]];
        }
        return new SeriesLabels(sortedNames, sortedValues);
    }

    /** Writes {@code {a="1",b="2"}}, with {@code extraName="extraValue"} last when given, or nothing at all. */
    void writeTo(StringBuilder out, String extraName, String extraValue) {
        if (names.length == 0 && extraName == null) {
            return;
        }
        out.append('{');
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            label(out, names[i], values[i]);
        }
        if (extraName != null) {
            if (names.length > 0) {
                out.append(',');
            }
            label(out, extraName, extraValue);
        }
        out.append('}');
    }

    private static void label(StringBuilder out, String name, String value) {
        out.append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        out.append('"');
    }

    @Override
    public int compareTo(SeriesLabels other) {
        for (int i = 0; i < values.length && i < other.values.length; i++) {
            int order = values[i].compareTo(other.values[i]);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(values.length, other.values.length);
    }
}
