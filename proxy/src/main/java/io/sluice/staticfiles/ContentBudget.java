package io.sluice.staticfiles;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on bytes one location holds in memory, shared by its event loops: file content
 * ({@code open-file-cache.memory}), and separately listing pages waiting for their clients
 * ({@link ListingPage}). A file's copy is reserved on the blocking pool before its file is read and given
 * back when its {@link OpenFile} is deallocated, which happens once: after the cache dropped the entry and
 * the last response let go of it. When the budget is spent, further files are simply served from their
 * descriptors; nothing is evicted to make room, so the bound holds without any coordination between
 * event loops.
 */
final class ContentBudget {
    /**
     * Larger files leave by {@code sendfile} on plain connections, which a copy in memory cannot beat; up to
     * this size a file is written together with its head in one buffer anyway.
     */
    static final int LARGEST_FILE = FileRequest.SMALL_BODY;

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    ContentBudget(long limit) {
        this.limit = limit;
    }

    /** Reserves {@code bytes}, or returns {@code false} when they would exceed the limit. */
    boolean tryReserve(long bytes) {
        long current;
        do {
            current = used.get();
            if (current + bytes > limit) {
                return false;
            }
        } while (!used.compareAndSet(current, current + bytes));
        return true;
    }

    void giveBack(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }
}
