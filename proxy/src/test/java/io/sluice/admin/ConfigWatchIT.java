package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code reload.watch = true}: editing the file reloads it; a broken edit is refused and reported. */
class ConfigWatchIT {

    private static String config(String body) {
        return """
                sluice {
                  workers = 1
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  reload { watch = true, watch-interval = 200ms }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { status = 200, body = "%s" } } ] } ]
                }""".formatted(body);
    }

    @Test
    void editsAreAppliedAndBrokenEditsReported() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config("first"))) {
            assertEquals("first", sluice.get(sluice.uri("/")).body());
            sluice.rewrite(config("second"));
            await(() -> body(sluice).equals("second"), "the edited file is applied");

            sluice.rewrite(config("third").replace("locations", "locatoins"));
            await(() -> !sluice.server().lastReloadProblems().isEmpty(), "the broken edit is reported");
            assertTrue(sluice.server().lastReloadProblems().stream().anyMatch(p -> p.contains("servers[0].locatoins: unknown key")),
                    sluice.server().lastReloadProblems().toString());
            assertEquals("second", body(sluice), "the running configuration stays");
        }
    }

    private static String body(OperatedSluice sluice) {
        try {
            return sluice.get(sluice.uri("/")).body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + ": not within 10 s");
    }
}
