package io.sluice.balance;

import java.util.random.RandomGenerator;

/**
 * The server that owns the request's key on the consistent-hash ring; when it is not a candidate (tried,
 * or out of service) the next server clockwise that is. A request without a key (no such header or
 * cookie) goes to a weighted random server.
 */
final class ConsistentHash extends Balancer {
    private final HashRing ring;

    ConsistentHash(GroupBalance group, RandomGenerator random, HashRing ring) {
        super(group, random);
        this.ring = ring;
    }

    @Override
    int choose(long candidates, CharSequence key) {
        if (key == null || key.isEmpty()) {
            return weightedRandom(candidates);
        }
        return ring.owner(key, candidates);
    }
}
