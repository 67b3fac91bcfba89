package io.sluice.balance;

import java.util.random.RandomGenerator;

/**
 * nginx's smooth weighted round-robin: every pick adds each candidate's weight to its running score, takes
 * the highest score and lowers it by the candidates' total weight. Weights 5, 1, 1 give a a b a c a a:
 * the same shares as a plain weighted rotation, interleaved instead of in bursts. The scores belong to
 * this loop; each loop runs its own sequence, which keeps the shares and needs no shared counter.
 */
final class SmoothWeightedRoundRobin extends Balancer {
    private final long[] scores;

    SmoothWeightedRoundRobin(GroupBalance group, RandomGenerator random) {
        super(group, random);
        this.scores = new long[weights.length];
    }

    @Override
    int choose(long candidates, CharSequence key) {
        long total = 0;
        int best = -1;
        for (long rest = candidates; rest != 0; rest &= rest - 1) {
            int server = Long.numberOfTrailingZeros(rest);
            scores[server] += effective[server];
            total += effective[server];
            if (best < 0 || scores[server] > scores[best]) {
                best = server;
            }
        }
        scores[best] -= total;
        return best;
    }
}
