package io.sluice.upstream;

/** One event loop's share of an upstream group: a pool per server and the loop's picker. */
record LoopUpstreams(ConnectionPool[] pools, ServerPicker picker) {
}
