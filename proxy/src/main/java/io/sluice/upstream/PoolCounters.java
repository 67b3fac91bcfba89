package io.sluice.upstream;

/**
 * Counters of one (event loop, server) pool. Written only by the pool's loop; read by the stats API from
 * other threads, which may see values a moment old and never needs more.
 */
final class PoolCounters {
    volatile int idle;
    volatile long opened;
    volatile long requests;
}
