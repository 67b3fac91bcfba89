package io.sluice.upstream;

import io.sluice.config.UpstreamConfig;

/**
 * Chooses the server for one attempt of a request, as {@link UpstreamConfig#servers()}
 * index; one instance per event loop and upstream group, called only on that loop. The balancing
 * algorithms live in package {@code balance}, which this layer cannot see: the server wiring hands them
 * in through {@link Factory}.
 */
@FunctionalInterface
public interface ServerPicker {

    /**
     * The next server, skipping those whose bit is set in {@code tried} (bit {@code i} = server {@code i});
     * -1 when none is left.
     */
    int pick(long tried);

    /** Makes the picker of one event loop for one group. */
    @FunctionalInterface
    interface Factory {
        ServerPicker create(UpstreamConfig upstream);
    }
}
