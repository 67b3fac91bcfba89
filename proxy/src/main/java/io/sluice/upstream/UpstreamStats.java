package io.sluice.upstream;

/**
 * A read-only snapshot of one upstream server's pools, summed over the event loops: idle connections
 * now, connections opened and requests sent since start. {@link #reuseRatio()} is requests per opened
 * connection (1.0 means no reuse at all).
 */
public record UpstreamStats(String upstream, String server, int idleConnections, long connectionsOpened,
                            long requests) {

    public double reuseRatio() {
        return connectionsOpened == 0 ? 0 : (double) requests / connectionsOpened;
    }
}
