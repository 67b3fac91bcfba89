package io.sluice.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Reads a HOCON file into a {@link SluiceConfig}. Defaults come from {@code reference.conf}; {@code ${?VAR}}
 * substitutions read the environment. This is the only class that parses HOCON; everything after it
 * sees validated records. Relative paths in the file resolve against the file's directory.
 */
public final class ConfigLoader {
    /** Where the embedded default configuration lives inside the jar. */
    public static final String DEFAULT_RESOURCE = "io/sluice/default/sluice.conf";

    private ConfigLoader() {
    }

    public static SluiceConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidConfigException(List.of(file + ": no such file"));
        }
        Path absolute = file.toAbsolutePath();
        return build(() -> ConfigFactory.parseFile(absolute.toFile(), strict()), absolute.getParent(), absolute.toString());
    }

    public static SluiceConfig loadDefault() {
        return build(() -> ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), DEFAULT_RESOURCE, strict()),
                Path.of("").toAbsolutePath(), "embedded default (" + DEFAULT_RESOURCE + ")");
    }

    /** Parses configuration text, for tests and tools; relative paths resolve against {@code baseDirectory}. */
    public static SluiceConfig parse(String hocon, Path baseDirectory) {
        return build(() -> ConfigFactory.parseString(hocon, strict().setOriginDescription("sluice.conf")),
                baseDirectory, "inline");
    }

    private interface Parser {
        Config parse();
    }

    private static SluiceConfig build(Parser parser, Path baseDirectory, String source) {
        ConfigProblems problems = new ConfigProblems();
        Config user;
        Config merged;
        try {
            user = parser.parse();
            Config reference = ConfigFactory.parseResources(ConfigLoader.class.getClassLoader(), "reference.conf", strict());
            merged = user.withFallback(reference).resolve(ConfigResolveOptions.defaults());
        } catch (ConfigException e) {
            throw new InvalidConfigException(List.of(describe(e)));
        }
        for (Map.Entry<String, ConfigValue> entry : user.root().entrySet()) {
            if (!"sluice".equals(entry.getKey())) {
                problems.add(entry.getValue().origin(), entry.getKey(), "unknown key (everything goes inside sluice { })");
            }
        }
        ConfigObject root = merged.getObject("sluice");
        SluiceConfig config = SluiceConfig.read(new ConfigNode(root, "", problems), baseDirectory, source, hash(root));
        problems.throwIfAny();
        return config;
    }

    /** A short digest of the effective configuration (defaults included), independent of comments and layout. */
    private static String hash(ConfigObject root) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(root.render(ConfigRenderOptions.concise()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static ConfigParseOptions strict() {
        return ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF);
    }

    private static String describe(ConfigException e) {
        if (e.origin() == null) {
            return e.getMessage();
        }
        String message = e.getMessage();
        String prefix = e.origin().description() + ": ";
        if (message.startsWith(prefix)) {
            message = message.substring(prefix.length());
        }
        return ConfigProblems.location(e.origin()) + ": " + message;
    }
}
