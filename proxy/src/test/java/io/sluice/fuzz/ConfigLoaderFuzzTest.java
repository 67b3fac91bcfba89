package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.SluiceConfig;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Any text either loads as a configuration or is refused with at least one located problem; nothing else. */
class ConfigLoaderFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void configTextLoadsOrIsRefusedCleanly(String text) {
        if (text == null) {
            return;
        }
        try {
            SluiceConfig config = ConfigLoader.parse(text, Path.of("."));
            assertNotNull(config);
            assertFalse(config.servers().isEmpty());
        } catch (InvalidConfigException e) {
            assertFalse(e.problems().isEmpty());
        }
    }
}
