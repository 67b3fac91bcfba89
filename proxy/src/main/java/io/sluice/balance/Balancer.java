package io.sluice.balance;

/**
 * Chooses the upstream server for one attempt of a request. An instance belongs to one event loop and is
 * only called there, so implementations keep plain fields. Servers are numbered as configured.
 */
public interface Balancer {

    /**
     * The index of the server for the next attempt, skipping the servers whose bit is set in {@code tried}
     * (bit {@code i} = server {@code i}, for the first 64 servers). Backup servers are chosen only once
     * every primary server has been tried. Returns -1 when every server has been tried.
     */
    int pick(long tried);
}
