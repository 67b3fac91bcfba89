package io.sluice.staticfiles;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.sluice.blocking.BlockingPool;

import java.time.Duration;

/**
 * File metadata and open descriptors by request path, like nginx's {@code open_file_cache}: a bounded
 * Caffeine cache whose entries expire {@code valid} after they were made, so a changed file is served
 * fresh after at most that long. A hit is a hash look-up on the event loop; a miss resolves and opens on
 * the blocking pool and the result, absent files included, is cached when it arrives. An entry that
 * leaves the cache releases its descriptors (they close once no response is sending from them). With
 * {@code max = 0} nothing is cached: every request resolves and opens on the blocking pool.
 */
final class OpenFileCache {
    private final Cache<String, FileEntry> entries;
    private final FileResolver resolver;
    private final BlockingPool blockingPool;

    OpenFileCache(int max, Duration valid, FileResolver resolver, BlockingPool blockingPool) {
        // maintenance runs on the calling thread: amortised, lock-free for readers, and no wake-ups of
        // another pool at a high request rate
        this.entries = max == 0 ? null : Caffeine.newBuilder()
                .maximumSize(max)
                .expireAfterWrite(valid)
                .executor(Runnable::run)
                .<String, FileEntry>removalListener((key, entry, cause) -> {
                    if (entry != null) {
                        entry.release();
                    }
                })
                .build();
        this.resolver = resolver;
        this.blockingPool = blockingPool;
    }

    /** The cached entry, or {@code null} on a miss. The caller holds no reference on it. */
    FileEntry cached(String relative) {
        return entries == null ? null : entries.getIfPresent(relative);
    }

    /**
     * Resolves {@code relative} on the blocking pool; the future's listeners run on {@code loop}. The
     * entry it yields carries one reference for the caller, who must {@link FileEntry#release()} it.
     */
    Future<FileEntry> load(String relative, EventExecutor loop) {
        return blockingPool.submit(() -> {
            FileEntry entry = resolver.resolve(relative);
            if (entries != null) {
                entry.retain();
                entries.put(relative, entry);
            }
            return entry;
        }, loop);
    }

    /** Forgets an entry found stale when its file was used. */
    void invalidate(String relative) {
        if (entries != null) {
            entries.invalidate(relative);
        }
    }
}
