package io.sluice.balance;

import java.util.random.RandomGenerator;

/**
 * Power of two choices (Envoy's default): two distinct candidates drawn at random by weight, and the one
 * with fewer requests in flight per unit of weight wins. Nearly as even as least-conn, without scanning
 * every server and without herding onto the single least-loaded one.
 */
final class PowerOfTwoChoices extends Balancer {

    PowerOfTwoChoices(GroupBalance group, RandomGenerator random) {
        super(group, random);
    }

    @Override
    int choose(long candidates, CharSequence key) {
        int first = weightedRandom(candidates);
        long others = candidates & ~(1L << first);
        if (others == 0) {
            return first;
        }
        int second = weightedRandom(others);
        return lessLoaded(second, first) ? second : first;
    }
}
