package io.sluice.balance;

import io.sluice.config.BalancingConfig;
import io.sluice.config.ConfigLoader;
import io.sluice.config.UpstreamConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalancersTest {

    /** An upstream "app" from HOCON server entries and extra group keys, read by the real loader. */
    static UpstreamConfig upstream(String servers, String extra) {
        String hocon = "sluice { upstreams.app { servers = [" + servers + "]\n" + extra + " }\n"
                + "servers = [ { listen = [\"127.0.0.1:0\"], locations = [ { match = \"/\", proxy { upstream = app } } ] } ] }";
        return ConfigLoader.parse(hocon, Path.of(".")).upstreams().get("app");
    }

    private static String servers(int... weights) {
        return IntStream.range(0, weights.length)
                .mapToObj(i -> "{ address = \"10.0.0." + (i + 1) + ":80\", weight = " + weights[i] + " }")
                .collect(Collectors.joining(", "));
    }

    private static Balancer balancer(UpstreamConfig config, long seed) {
        return new GroupBalance(config).newBalancer(new SplittableRandom(seed));
    }

    @Test
    void smoothWeightedRoundRobinInterleavesLikeNginx() {
        Balancer balancer = balancer(upstream(servers(5, 1, 1), ""), 1);
        StringBuilder sequence = new StringBuilder();
        for (int i = 0; i < 14; i++) {
            sequence.append((char) ('a' + balancer.pick(0, null)));
        }
        assertEquals("aabacaaaabacaa", sequence.toString());
    }

    @Test
    void roundRobinSkipsTriedServersAndReportsWhenNoneIsLeft() {
        Balancer balancer = balancer(upstream(servers(1, 1, 1), ""), 1);
        assertEquals(0, balancer.pick(0, null));
        assertEquals(2, balancer.pick(0b010, null));
        assertEquals(Balancer.NONE_LEFT, balancer.pick(0b111, null));
    }

    @Test
    void backupsServeOnlyWhenEveryPrimaryIsTriedOrOut() {
        UpstreamConfig config = upstream("{ address = \"10.0.0.1:80\" }, { address = \"10.0.0.2:80\", backup = true },"
                + " { address = \"10.0.0.3:80\" }", "passive-health { max-fails = 1, fail-timeout = 60s }");
        GroupBalance group = new GroupBalance(config);
        Balancer balancer = group.newBalancer(new SplittableRandom(1));
        for (int i = 0; i < 20; i++) {
            int picked = balancer.pick(0, null);
            assertTrue(picked == 0 || picked == 2, "picked " + picked);
        }
        assertEquals(1, balancer.pick(0b101, null));
        balancer.report(0, true);
        balancer.report(2, true);
        assertEquals(1, balancer.pick(0, null), "both primaries are out");
        balancer.report(1, true);
        assertEquals(Balancer.NONE_AVAILABLE, balancer.pick(0, null));
    }

    @Test
    void passiveHealthTakesAServerOutAfterMaxFailsWithinTheWindow() {
        UpstreamConfig config = upstream(servers(1, 1), "passive-health { max-fails = 3, fail-timeout = 60s }");
        Balancer balancer = balancer(config, 1);
        balancer.report(0, true);
        balancer.report(0, true);
        assertEquals(2, IntStream.range(0, 4).map(i -> balancer.pick(0, null)).filter(s -> s == 0).count());
        balancer.report(0, true);
        assertTrue(IntStream.range(0, 10).allMatch(i -> balancer.pick(0, null) == 1));
    }

    @Test
    void randomFollowsTheWeights() {
        Balancer balancer = balancer(upstream(servers(1, 2, 3, 4), "balance = random"), 42);
        int[] counts = new int[4];
        for (int i = 0; i < 100_000; i++) {
            counts[balancer.pick(0, null)]++;
        }
        for (int server = 0; server < 4; server++) {
            double share = counts[server] / 100_000.0;
            double expected = (server + 1) / 10.0;
            assertEquals(expected, share, 0.02, "server " + server + " share " + share);
        }
    }

    @Test
    void powerOfTwoChoicesAvoidsTheLoadedServerAndSpreadsTheRest() {
        UpstreamConfig config = upstream(servers(1, 1, 1, 1), "balance = p2c");
        GroupBalance group = new GroupBalance(config);
        Balancer balancer = group.newBalancer(new SplittableRandom(7));
        for (int i = 0; i < 50; i++) {
            balancer.attemptStarted(0, false);
        }
        int[] counts = new int[4];
        for (int i = 0; i < 30_000; i++) {
            counts[balancer.pick(0, null)]++;
        }
        assertEquals(0, counts[0], "the loaded server loses every pair it is drawn into");
        for (int server = 1; server < 4; server++) {
            assertEquals(1 / 3.0, counts[server] / 30_000.0, 0.03, "server " + server);
        }
    }

    @Test
    void powerOfTwoChoicesKeepsInFlightBalancedUnderLoad() {
        GroupBalance group = new GroupBalance(upstream(servers(1, 1, 1, 1, 1), "balance = p2c"));
        Balancer balancer = group.newBalancer(new SplittableRandom(3));
        for (int i = 0; i < 1000; i++) {
            balancer.attemptStarted(balancer.pick(0, null), false);
        }
        for (int server = 0; server < 5; server++) {
            int inFlight = group.states().inFlight(server);
            assertTrue(inFlight >= 190 && inFlight <= 210, "server " + server + " has " + inFlight);
        }
    }

    @Test
    void leastConnPrefersFewerInFlightPerWeight() {
        GroupBalance group = new GroupBalance(upstream(servers(1, 2, 1), "balance = least-conn"));
        Balancer balancer = group.newBalancer(new SplittableRandom(1));
        balancer.attemptStarted(0, false);
        balancer.attemptStarted(1, false);
        balancer.attemptStarted(1, false);
        assertEquals(2, balancer.pick(0, null));
        balancer.attemptStarted(2, false);
        balancer.attemptStarted(2, false);
        assertEquals(0, balancer.pick(0, null), "1 in flight at weight 1 beats 2 at weight 1");
        balancer.attemptEnded(1);
        assertEquals(1, balancer.pick(0, null), "1 in flight at weight 2 beats 1 at weight 1");
    }

    @Test
    void consistentHashMovesOnlyTheKeysOfARemovedServer() {
        String five = servers(1, 1, 1, 1, 1);
        Balancer all = balancer(upstream(five, "balance = hash, hash-key = \"$header:X-User\""), 1);
        String withoutThird = "{ address = \"10.0.0.1:80\" }, { address = \"10.0.0.2:80\" }, "
                + "{ address = \"10.0.0.4:80\" }, { address = \"10.0.0.5:80\" }";
        Balancer four = balancer(upstream(withoutThird, "balance = hash"), 1);
        List<String> fourAddresses = List.of("10.0.0.1:80", "10.0.0.2:80", "10.0.0.4:80", "10.0.0.5:80");
        Map<String, Integer> perServer = new HashMap<>();
        int moved = 0;
        for (int i = 0; i < 10_000; i++) {
            String key = "user-" + i;
            String before = "10.0.0." + (all.pick(0, key) + 1) + ":80";
            String after = fourAddresses.get(four.pick(0, key));
            perServer.merge(before, 1, Integer::sum);
            if (!before.equals(after)) {
                moved++;
                assertEquals("10.0.0.3:80", before, "only keys of the removed server move; " + key);
            }
        }
        assertTrue(moved <= 2500, "moved " + moved);
        assertTrue(moved >= 1000, "the removed server owned its share: " + moved);
        perServer.values().forEach(count -> assertTrue(count > 1200 && count < 2800, "spread " + perServer));
    }

    @Test
    void consistentHashSkipsAServerThatIsOutWithoutMovingOtherKeys() {
        UpstreamConfig config = upstream(servers(1, 1, 1, 1, 1), "balance = hash");
        Balancer balancer = balancer(config, 1);
        int[] owners = IntStream.range(0, 2000).map(i -> balancer.pick(0, "k" + i)).toArray();
        for (int i = 0; i < owners.length; i++) {
            int now = balancer.pick(1L << 2, "k" + i);
            if (owners[i] != 2) {
                assertEquals(owners[i], now);
            } else {
                assertTrue(now != 2);
            }
        }
    }

    @Test
    void slowStartRampsUpARecoveredServerFromAlmostNothing() {
        GroupBalance group = new GroupBalance(upstream(servers(1, 1), "balance = random, slow-start = 60s"));
        Balancer balancer = group.newBalancer(new SplittableRandom(5));
        int[] before = new int[2];
        for (int i = 0; i < 10_000; i++) {
            before[balancer.pick(0, null)]++;
        }
        assertTrue(before[0] > 4000, "no ramp at start: " + before[0]);
        group.states().checked(0, false);
        group.states().checked(0, true);
        int[] after = new int[2];
        for (int i = 0; i < 10_000; i++) {
            after[balancer.pick(0, null)]++;
        }
        assertTrue(after[0] < 500, "just recovered, a sliver of its weight: " + after[0]);
    }

    @Test
    void aWeightAskedWithAClockReadBeforeTheServerRecoveredIsItsFullWeightWithoutSlowStart() {
        // another thread may read the clock, then lose the CPU while a health check marks the server up
        GroupBalance group = new GroupBalance(upstream(servers(3, 1), ""));
        long readEarlier = System.nanoTime();
        group.states().checked(0, false);
        group.states().checked(0, true);
        assertEquals(300, group.states().effectiveWeight(0, 3, readEarlier - 1_000_000));
    }

    @Test
    void aWeightAskedWithAClockReadBeforeTheServerRecoveredIsASliverWithSlowStart() {
        GroupBalance group = new GroupBalance(upstream(servers(3, 1), "slow-start = 30s"));
        long readEarlier = System.nanoTime();
        group.states().checked(0, false);
        group.states().checked(0, true);
        assertEquals(1, group.states().effectiveWeight(0, 3, readEarlier - 1_000_000));
    }

    @Test
    void aNewServerSetKeepsTheStateOfServersInBothSets() {
        UpstreamConfig configured = upstream("{ address = \"app.internal:80\" }",
                "balance = least-conn, passive-health { max-fails = 1, fail-timeout = 60s }");
        UpstreamConfig.Server host = configured.servers().get(0);
        GroupBalance first = new GroupBalance(configured.withServers(List.of(host.at("10.0.0.1"), host.at("10.0.0.2"))));
        Balancer oldBalancer = first.newBalancer(new SplittableRandom(1));
        oldBalancer.attemptStarted(0, false);
        first.states().checked(1, false);

        GroupBalance second = new GroupBalance(configured.withServers(List.of(host.at("10.0.0.2"), host.at("10.0.0.3"),
                host.at("10.0.0.1"))), first);
        assertEquals(List.of("10.0.0.2:80 (app.internal)", "10.0.0.3:80 (app.internal)", "10.0.0.1:80 (app.internal)"),
                second.states().view().stream().map(ServerView::server).toList());
        assertEquals(List.of("down", "up", "up"), second.states().view().stream().map(ServerView::state).toList(),
                "the check verdict of 10.0.0.2 carries over");
        assertEquals(1, second.states().inFlight(2), "the request in flight on 10.0.0.1 counts in the new set");
        Balancer newBalancer = second.newBalancer(new SplittableRandom(1));
        assertEquals(1, newBalancer.pick(0, null), "least-conn: 10.0.0.3 is idle, 10.0.0.1 busy, 10.0.0.2 down");
        oldBalancer.attemptEnded(0);
        assertEquals(0, second.states().inFlight(2), "the request ended on the old set's balancer");
        assertEquals(0, second.states().inFlight(1));
    }

    @Test
    void aGroupWithoutAnyServerIsOutOfServiceNotExhausted() {
        UpstreamConfig configured = upstream("{ address = \"app.internal:80\" }", "");
        Balancer balancer = balancer(configured.withServers(List.of()), 1);
        assertEquals(Balancer.NONE_AVAILABLE, balancer.pick(0, null));
    }

    @Test
    void retryBudgetAllowsTheMinimumThenARatioOfRecentRequests() {
        RetryBudget budget = new RetryBudget(new BalancingConfig.RetryBudget(0.5, 2));
        long second = 5_000_000_000L;
        assertTrue(budget.tryRetry(second));
        assertTrue(budget.tryRetry(second));
        assertFalse(budget.tryRetry(second), "min-per-second spent, no requests yet");
        for (int i = 0; i < 10; i++) {
            budget.requestStarted(second);
        }
        assertEquals(3, IntStream.range(0, 10).filter(i -> budget.tryRetry(second)).count(), "half of 10, 2 used");
        long next = second + 1_000_000_000L;
        assertEquals(5, IntStream.range(0, 10).filter(i -> budget.tryRetry(next)).count(), "last second's requests count");
        long later = next + 2_000_000_000L;
        assertEquals(2, IntStream.range(0, 10).filter(i -> budget.tryRetry(later)).count(), "quiet again: the minimum");
    }
}
