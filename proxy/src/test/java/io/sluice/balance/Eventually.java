package io.sluice.balance;

import io.sluice.testing.RunningSluice;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the balancing tests wait for: a condition that health checks, DNS or time make true a little later. */
final class Eventually {
    private Eventually() {
    }

    /** Polls {@code condition} every 20 ms; fails naming {@code what} when it is still false after {@code limit}. */
    static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    /** The state the balancer gives the first server of upstream {@code app}: up, down, out or drain. */
    static String firstServerState(RunningSluice sluice) {
        return sluice.server().upstreamStates().get("app").get(0).state();
    }
}
