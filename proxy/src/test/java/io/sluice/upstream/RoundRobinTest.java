package io.sluice.upstream;

import io.sluice.balance.RoundRobin;
import io.sluice.config.UpstreamConfig;
import io.sluice.util.HostAndPort;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RoundRobinTest {

    private static UpstreamConfig.Server server(int port, boolean backup) {
        return new UpstreamConfig.Server(new HostAndPort("127.0.0.1", port), false, 1, backup);
    }

    @Test
    void rotatesOverPrimariesAndSkipsTriedOnes() {
        RoundRobin balancer = new RoundRobin(List.of(server(1, false), server(2, false), server(3, false)));
        assertEquals(0, balancer.pick(0));
        assertEquals(1, balancer.pick(0));
        assertEquals(2, balancer.pick(0));
        assertEquals(0, balancer.pick(0));
        assertEquals(2, balancer.pick(0b010), "server 1 was tried");
        assertEquals(-1, balancer.pick(0b111));
    }

    @Test
    void backupsServeOnlyOnceEveryPrimaryWasTried() {
        RoundRobin balancer = new RoundRobin(List.of(server(1, false), server(2, true), server(3, false)));
        for (int i = 0; i < 4; i++) {
            int picked = balancer.pick(0);
            assertEquals(true, picked == 0 || picked == 2, "picked " + picked);
        }
        assertEquals(1, balancer.pick(0b101));
        assertEquals(-1, balancer.pick(0b111));
    }
}
