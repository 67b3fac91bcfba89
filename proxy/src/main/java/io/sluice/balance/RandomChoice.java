package io.sluice.balance;

import java.util.random.RandomGenerator;

/** A candidate drawn at random in proportion to its weight. */
final class RandomChoice extends Balancer {

    RandomChoice(GroupBalance group, RandomGenerator random) {
        super(group, random);
    }

    @Override
    int choose(long candidates, CharSequence key) {
        return weightedRandom(candidates);
    }
}
