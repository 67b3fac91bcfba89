package io.sluice.balance;

import java.util.random.RandomGenerator;

/**
 * The candidate with the fewest requests in flight per unit of weight, counted across all loops. Ties go
 * to the next server after the last one this loop chose, so equal servers share the load in turn.
 */
final class LeastConnections extends Balancer {
    private int start;

    LeastConnections(GroupBalance group, RandomGenerator random) {
        super(group, random);
    }

    @Override
    int choose(long candidates, CharSequence key) {
        int count = weights.length;
        int best = -1;
        for (int step = 0; step < count; step++) {
            int server = (start + step) % count;
            if ((candidates & (1L << server)) != 0 && (best < 0 || lessLoaded(server, best))) {
                best = server;
            }
        }
        start = (best + 1) % count;
        return best;
    }
}
