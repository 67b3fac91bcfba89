package io.sluice.ratelimit;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests in progress per key, for {@code limit-conn}. Only keys with a request in progress have an
 * entry, so the table is bounded by the requests the server is serving, not by how many clients ever
 * came. Deciding is a compare-and-set on the key's count; a count that retires between lookup and
 * increment is replaced by a fresh one.
 */
public final class InFlightTable {
    private final ConcurrentHashMap<String, InFlight> counts = new ConcurrentHashMap<>();

    /** A slot for one more request of {@code key}, or null when {@code max} are in progress. */
    public InFlight tryAcquire(String key, int max) {
        while (true) {
            InFlight existing = counts.get(key);
            if (existing == null) {
                InFlight fresh = new InFlight(counts, key);
                existing = counts.putIfAbsent(key, fresh);
                if (existing == null) {
                    return fresh;
                }
            }
            if (existing.tryAcquire(max)) {
                return existing;
            }
            if (!existing.retired()) {
                return null;
            }
            counts.remove(key, existing);
        }
    }

    /** Keys with at least one request in progress. */
    public int keys() {
        return counts.size();
    }

    /** Requests of {@code key} in progress now. */
    public int inProgress(String key) {
        InFlight count = counts.get(key);
        return count == null ? 0 : count.inProgress();
    }
}
