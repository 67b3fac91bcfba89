package io.sluice.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * One HOCON object being turned into a record. Every accessor marks its key as read; {@link #finish()}
 * reports whatever was not read as an unknown key, so a typo in a user's file is an error instead of
 * a silently ignored setting. Type errors are collected into {@link ConfigProblems} with the file, line
 * and key path, and a neutral value is returned so that one run reports every problem at once.
 */
public final class ConfigNode {
    private final ConfigObject object;
    private final Config config;
    private final String path;
    private final ConfigProblems problems;
    private final Set<String> read = new LinkedHashSet<>();

    ConfigNode(ConfigObject object, String path, ConfigProblems problems) {
        this.object = object;
        this.config = object.toConfig();
        this.path = path;
        this.problems = problems;
    }

    /** The dotted path of this node from the root of the {@code sluice} block, e.g. {@code servers[0].locations[2]}. */
    public String path() {
        return path;
    }

    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public ConfigProblems problems() {
        return problems;
    }

    public ConfigOrigin origin() {
        return object.origin();
    }

    public ConfigOrigin originOf(String key) {
        ConfigValue value = object.get(key);
        return value == null ? object.origin() : value.origin();
    }

    public boolean has(String key) {
        read.add(key);
        ConfigValue value = object.get(key);
        return value != null && value.valueType() != ConfigValueType.NULL;
    }

    /** Reports a problem about a key of this node. */
    public void error(String key, String message) {
        problems.add(originOf(key), pathOf(key), message);
    }

    public String string(String key, String fallback) {
        return read(key, fallback, k -> {
            // k is the quoted path form (".wasm" becomes "\".wasm\""); the object is keyed by the plain name
            ConfigValue value = object.get(key);
            if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
                throw new ConfigException.WrongType(value.origin(), k, "string", value.valueType().name());
            }
            return String.valueOf(value.unwrapped());
        });
    }

    public Optional<String> optionalString(String key) {
        return has(key) ? Optional.of(string(key, "")) : Optional.empty();
    }

    public int integer(String key, int fallback) {
        return read(key, fallback, config::getInt);
    }

    public boolean bool(String key, boolean fallback) {
        return read(key, fallback, config::getBoolean);
    }

    public double number(String key, double fallback) {
        return read(key, fallback, config::getDouble);
    }

    /** A size such as {@code 16k} or {@code 10m} (powers of two, as HOCON defines them). */
    public long bytes(String key, long fallback) {
        return read(key, fallback, config::getBytes);
    }

    public Duration duration(String key, Duration fallback) {
        return read(key, fallback, config::getDuration);
    }

    public List<String> strings(String key, List<String> fallback) {
        return read(key, fallback, k -> List.copyOf(config.getStringList(k)));
    }

    public List<Integer> integers(String key, List<Integer> fallback) {
        return read(key, fallback, k -> List.copyOf(config.getIntList(k)));
    }

    /** A nested object; an absent key yields an empty node so defaults apply. */
    public ConfigNode child(String key) {
        read.add(key);
        ConfigValue value = object.get(key);
        if (value instanceof ConfigObject child) {
            return new ConfigNode(child, pathOf(key), problems);
        }
        if (value != null && value.valueType() != ConfigValueType.NULL) {
            error(key, "expected an object, got " + describe(value));
        }
        return new ConfigNode(emptyObject(value == null ? object.origin() : value.origin()), pathOf(key), problems);
    }

    /** The raw value of a key, for settings that accept more than one shape (e.g. a listen entry). */
    public Optional<ConfigValue> raw(String key) {
        read.add(key);
        return Optional.ofNullable(object.get(key));
    }

    /** A list whose elements are objects; elements of another type are reported. */
    public List<ConfigNode> objects(String key) {
        read.add(key);
        ConfigValue value = object.get(key);
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            return List.of();
        }
        if (!(value instanceof ConfigList list)) {
            error(key, "expected a list of objects, got " + describe(value));
            return List.of();
        }
        List<ConfigNode> nodes = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            ConfigValue element = list.get(i);
            String elementPath = pathOf(key) + "[" + i + "]";
            if (element instanceof ConfigObject elementObject) {
                nodes.add(new ConfigNode(elementObject, elementPath, problems));
            } else {
                problems.add(element.origin(), elementPath, "expected an object, got " + describe(element));
            }
        }
        return nodes;
    }

    /** Wraps one element of a list that {@link #raw} returned. */
    public ConfigNode nodeFor(ConfigObject value, String elementPath) {
        return new ConfigNode(value, elementPath, problems);
    }

    /** The keys of this object in file order, all marked read: for maps such as {@code upstreams}. */
    public Set<String> keys() {
        read.addAll(object.keySet());
        return object.keySet();
    }

    /** A map of string to string, such as header sets or MIME overrides. */
    public Map<String, String> stringMap(String key) {
        ConfigNode child = child(key);
        Map<String, String> result = new LinkedHashMap<>();
        for (String name : child.keys()) {
            result.put(name, child.string(name, ""));
        }
        return Map.copyOf(result);
    }

    /** Reports every key of this object that no accessor read. Call once, after reading. */
    public void finish() {
        for (String key : object.keySet()) {
            if (!read.contains(key)) {
                error(key, "unknown key" + suggestion(key));
            }
        }
    }

    private String suggestion(String unknown) {
        String best = null;
        int bestDistance = 3;
        for (String known : read) {
            int distance = Levenshtein.distance(unknown, known);
            if (distance < bestDistance) {
                best = known;
                bestDistance = distance;
            }
        }
        return best == null ? " (known here: " + String.join(", ", read) + ")" : " (did you mean \"" + best + "\"?)";
    }

    private <T> T read(String key, T fallback, Function<String, T> reader) {
        read.add(key);
        ConfigValue value = object.get(key);
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            return fallback;
        }
        try {
            return reader.apply(ConfigUtil.joinPath(key));
        } catch (ConfigException e) {
            problems.add(value.origin(), pathOf(key), plain(e, value));
            return fallback;
        }
    }

    private static String plain(ConfigException e, ConfigValue value) {
        if (e instanceof ConfigException.WrongType) {
            return "wrong type: got " + describe(value);
        }
        if (e instanceof ConfigException.BadValue bad) {
            String message = bad.getMessage();
            int cut = message.indexOf(": Invalid value at");
            return cut >= 0 ? message.substring(message.indexOf("': ", cut) + 3) : message;
        }
        return e.getMessage();
    }

    private static String describe(ConfigValue value) {
        return switch (value.valueType()) {
            case OBJECT -> "an object";
            case LIST -> "a list";
            case STRING -> "the string \"" + value.unwrapped() + "\"";
            default -> value.valueType().name().toLowerCase() + " " + value.render();
        };
    }

    private static ConfigObject emptyObject(ConfigOrigin origin) {
        return com.typesafe.config.ConfigFactory.empty(origin.description()).root();
    }
}
