package io.sluice.config;

import com.typesafe.config.ConfigOrigin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Every problem found in one configuration, each as {@code file:line: key.path: what is wrong}. */
public final class ConfigProblems {
    private final List<String> messages = new ArrayList<>();

    public void add(ConfigOrigin origin, String path, String message) {
        messages.add(location(origin) + ": " + path + ": " + message);
    }

    public boolean isEmpty() {
        return messages.isEmpty();
    }

    public List<String> messages() {
        return List.copyOf(messages);
    }

    /** Throws if anything was reported; called once, when the whole file has been read. */
    public void throwIfAny() {
        if (!messages.isEmpty()) {
            throw new InvalidConfigException(messages());
        }
    }

    private static String withoutLine(String description, int line) {
        String suffix = ": " + line;
        return description.endsWith(suffix) ? description.substring(0, description.length() - suffix.length()) : description;
    }

    static String location(ConfigOrigin origin) {
        String file = origin.filename() != null ? Path.of(origin.filename()).getFileName().toString()
                : origin.resource() != null ? origin.resource()
                : withoutLine(origin.description(), origin.lineNumber());
        return origin.lineNumber() > 0 ? file + ":" + origin.lineNumber() : file;
    }
}
