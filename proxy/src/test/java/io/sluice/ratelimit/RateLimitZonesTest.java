package io.sluice.ratelimit;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class RateLimitZonesTest {
    private static final String CONFIG = """
            sluice {
              rate-limit-zones { kept { max-keys = 10 }, changed { max-keys = 10 }, dropped { } }
              servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                { match = "/", return { body = "ok" }, limit-conn { zone = "changed", max = 1 } }
              ] } ]
            }""";

    @TempDir
    Path dir;

    private final RateLimitZones zones = new RateLimitZones(new ManualClock());

    @Test
    void aReloadKeepsUnchangedZonesRebuildsChangedOnesAndDropsTheRest() {
        SluiceConfig first = ConfigLoader.parse(CONFIG, dir);
        Map<String, RateLimitZone> before = zones.of(first);
        assertSame(before, zones.of(first), "one snapshot, one set of zones");
        InFlight inProgress = before.get("changed").tryAcquire("10.0.0.1", 1);
        assertNotNull(inProgress);

        SluiceConfig second = ConfigLoader.parse(CONFIG.replace("changed { max-keys = 10 }", "changed { max-keys = 20 }")
                .replace(", dropped { }", ""), dir);
        Map<String, RateLimitZone> after = zones.of(second);
        assertEquals(Set.of("kept", "changed"), after.keySet());
        assertSame(before.get("kept"), after.get("kept"));
        assertNotSame(before.get("changed"), after.get("changed"));
        assertEquals(20, after.get("changed").config().maxKeys());
        assertNull(after.get("changed").tryAcquire("10.0.0.1", 1), "the request in progress before the reload still counts");
        inProgress.release();
        assertNotNull(after.get("changed").tryAcquire("10.0.0.1", 1));
    }
}
