package io.sluice.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package layering of DEVELOPERS.md: a package may import only from packages in lower layers
 * (packages in the same layer may not import each other). Reads the import lines of the main sources.
 */
class LayeringTest {
    private static final Map<String, Integer> LAYERS = Map.ofEntries(
            Map.entry("util", 0),
            Map.entry("config", 1),
            Map.entry("metrics", 2), Map.entry("blocking", 2),
            Map.entry("accesslog", 3), Map.entry("tls", 3), Map.entry("cache", 3), Map.entry("ratelimit", 3),
            Map.entry("http", 4),
            Map.entry("balance", 5), Map.entry("health", 5), Map.entry("staticfiles", 5), Map.entry("upstream", 5),
            Map.entry("routing", 6),
            Map.entry("server", 7),
            Map.entry("admin", 8),
            Map.entry("", 9));
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?io\\.sluice\\.([a-z]+)\\.", Pattern.MULTILINE);
    private static final Path SOURCES = Path.of("src/main/java/io/sluice");

    @Test
    void packagesImportOnlyFromLowerLayers() throws IOException {
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                Integer layer = LAYERS.get(pkg);
                if (layer == null) {
                    violations.add(file + ": package io.sluice." + pkg + " is not in the layer table");
                    continue;
                }
                Matcher matcher = IMPORT.matcher(Files.readString(file));
                while (matcher.find()) {
                    String imported = matcher.group(1);
                    Integer importedLayer = LAYERS.get(imported);
                    if (!imported.equals(pkg) && (importedLayer == null || importedLayer >= layer)) {
                        violations.add(file + ": " + pkg + " (layer " + layer + ") imports " + imported
                                + " (layer " + importedLayer + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void scansRealSources() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            assertTrue(files.filter(f -> f.toString().endsWith(".java")).count() > 20, "no sources found under " + SOURCES);
        }
    }

    @Test
    void detectsAnUpwardImport() {
        Matcher matcher = IMPORT.matcher("package io.sluice.config;\nimport io.sluice.server.SluiceServer;\n");
        assertTrue(matcher.find());
        assertEquals("server", matcher.group(1));
    }
}
