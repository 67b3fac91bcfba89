package io.sluice.upstream;

import io.sluice.balance.Balancer;

/** One event loop's share of an upstream group: a pool per server and the loop's balancer. */
record LoopUpstreams(ConnectionPool[] pools, Balancer balancer) {
}
