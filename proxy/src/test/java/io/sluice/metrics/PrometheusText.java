package io.sluice.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be a HELP,
 * a TYPE or a sample; every sample must belong to a family whose TYPE came first; label values may only
 * use the three escapes the format defines; histogram buckets must be cumulative and end in {@code +Inf}
 * equal to {@code _count}. Anything else fails the parse.
 */
final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME.pattern() + ") (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME.pattern() + ") (counter|gauge|histogram|summary|untyped|info|stateset|unknown)");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME.pattern() + ")(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
    private static final Set<String> SUFFIXES = Set.of("_total", "_bucket", "_count", "_sum", "_created", "_info");

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            parsed.line(line, number);
        }
        parsed.checkHistograms();
        return parsed;
    }

    private void line(String line, int number) {
        if (line.startsWith("# HELP ")) {
            require(HELP.matcher(line).matches(), number, line);
            return;
        }
        if (line.startsWith("# TYPE ")) {
            Matcher type = TYPE.matcher(line);
            require(type.matches(), number, line);
            require(types.put(type.group(1), type.group(2)) == null, number, "second TYPE for " + type.group(1));
            return;
        }
        require(!line.startsWith("#"), number, "unknown comment: " + line);
        Matcher sample = SAMPLE.matcher(line);
        require(sample.matches(), number, line);
        String name = sample.group(1);
        require(types.containsKey(family(name)), number, "sample before its TYPE: " + line);
        Map<String, String> labels = new LinkedHashMap<>();
        if (sample.group(3) != null && !sample.group(3).isEmpty()) {
            String rest = sample.group(3);
            Matcher label = LABEL.matcher(rest);
            int at = 0;
            while (at < rest.length()) {
                require(label.find(at) && label.start() == at, number, "bad labels: " + line);
                require(labels.put(label.group(1), unescape(label.group(2))) == null, number, "duplicate label: " + line);
                at = label.end();
                if (at < rest.length()) {
                    require(rest.charAt(at) == ',', number, "bad label separator: " + line);
                    at++;
                }
            }
        }
        samples.add(new Sample(name, labels, value(sample.group(4), number)));
    }

    private String family(String name) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : SUFFIXES) {
            if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    private static double value(String text, int number) {
        switch (text) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new AssertionError("line " + number + ": bad value " + text);
                }
        }
    }

    private static String unescape(String value) {
        return value.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private void checkHistograms() {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        for (Sample sample : samples) {
            if (sample.name().endsWith("_bucket") && "histogram".equals(types.get(family(sample.name())))) {
                Map<String, String> series = new LinkedHashMap<>(sample.labels());
                series.remove("le");
                series.put("__name__", sample.name());
                buckets.computeIfAbsent(series, key -> new ArrayList<>()).add(sample);
            }
        }
        buckets.forEach((series, list) -> {
            double previousBound = Double.NEGATIVE_INFINITY;
            double previousCount = 0;
            for (Sample bucket : list) {
                double bound = value(bucket.labels().get("le"), 0);
                if (bound <= previousBound || bucket.value() < previousCount) {
                    throw new AssertionError("histogram buckets not cumulative/ordered: " + series);
                }
                previousBound = bound;
                previousCount = bucket.value();
            }
            if (previousBound != Double.POSITIVE_INFINITY) {
                throw new AssertionError("histogram without +Inf bucket: " + series);
            }
            Map<String, String> labels = new LinkedHashMap<>(series);
            String name = labels.remove("__name__");
            double count = value(name.substring(0, name.length() - "_bucket".length()) + "_count", labels);
            if (count != previousCount) {
                throw new AssertionError("+Inf bucket " + previousCount + " != _count " + count + " for " + series);
            }
        });
    }

    private static void require(boolean condition, int number, String what) {
        if (!condition) {
            throw new AssertionError("line " + number + ": " + what);
        }
    }

    String type(String family) {
        return types.get(family);
    }

    /** The value of the sample with exactly these labels; fails when absent. */
    double value(String name, Map<String, String> labels) {
        for (Sample sample : samples) {
            if (sample.name().equals(name) && sample.labels().equals(labels)) {
                return sample.value();
            }
        }
        throw new AssertionError("no sample " + name + labels);
    }

    /** The value of the sample with these labels, or 0 when the series does not exist yet. */
    double valueOrZero(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .mapToDouble(Sample::value).findFirst().orElse(0);
    }

    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }
}
