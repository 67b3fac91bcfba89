package io.sluice.cache;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One upstream request filling (or revalidating) a cache key, which concurrent requests for the key wait
 * for instead of asking the upstream themselves (request collapsing). Waiters live on any event loop and
 * are woken on their own: each registers its loop with its callback.
 */
public final class Fill {
    private final String key;
    private final long startedNanos;
    private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();
    private volatile boolean complete;

    Fill(String key, long startedNanos) {
        this.key = key;
        this.startedNanos = startedNanos;
    }

    long startedNanos() {
        return startedNanos;
    }

    public String key() {
        return key;
    }

    /**
     * Registers {@code wake} to run on {@code executor} when the fill completes. Returns false when it
     * has completed already; the caller then looks in the cache again at once.
     */
    public boolean await(Executor executor, Runnable wake) {
        Runnable waiter = () -> {
            try {
                executor.execute(wake);
            } catch (RejectedExecutionException shuttingDown) {
                // the waiter's loop is gone, and its connection with it
            }
        };
        waiters.add(waiter);
        return !(complete && waiters.remove(waiter));
    }

    /** Wakes every waiter; a fill completed again (taken over, then finished by its leader) wakes no one twice. */
    void complete() {
        complete = true;
        Runnable waiter;
        while ((waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }
}
