package io.sluice.balance;

/**
 * A read-only snapshot of one upstream server as the balancer sees it: {@code server} is its name (see
 * {@code UpstreamConfig.Server#name}: a resolved address names its host too); {@code state} is {@code up},
 * {@code down} (marked down by health checks) or {@code out} (taken out by passive health); in-flight
 * requests across all loops; recent failures counted by passive health; {@code effectiveWeight} is the
 * configured weight, lower while slow start ramps it up; {@code configuredAddress} is the server's address
 * as configured ({@code host:port}), which a host name shares among the servers it resolved to.
 */
public record ServerView(String server, boolean backup, String state, int inFlight, int recentFailures, int weight,
                         double effectiveWeight, boolean tls, String configuredAddress) {
}
