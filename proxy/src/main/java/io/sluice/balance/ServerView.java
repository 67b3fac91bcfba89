package io.sluice.balance;

/**
 * A read-only snapshot of one upstream server as the balancer sees it: {@code state} is {@code up},
 * {@code down} (marked down by health checks) or {@code out} (taken out by passive health); in-flight
 * requests across all loops; recent failures counted by passive health; {@code effectiveWeight} is the
 * configured weight, lower while slow start ramps it up.
 */
public record ServerView(String server, boolean backup, String state, int inFlight, int recentFailures, int weight,
                         double effectiveWeight) {
}
