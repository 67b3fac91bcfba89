package io.sluice.staticfiles;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.sluice.blocking.BlockingPool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * File metadata and open descriptors by request path, like nginx's {@code open_file_cache}: a bounded
 * Caffeine cache whose entries expire {@code valid} after they were made, so a changed file is served
 * fresh after at most that long. A hit is a hash look-up on the event loop; a miss resolves and opens on
 * the blocking pool and the result, absent files included, is cached when it arrives. An entry that
 * leaves the cache releases its descriptors (they close once no response is sending from them). With
 * {@code max = 0} nothing is cached: every request resolves and opens on the blocking pool.
 */
final class OpenFileCache {
    /**
     * Made by the first miss, on the blocking pool: building a Caffeine cache loads some 70 classes and
     * starts the JDK's {@code java.util.logging} (Caffeine logs through {@code System.Logger}), about 30 ms
     * of CPU at start on one core, which a location no request has reached yet need not pay.
     */
    private final AtomicReference<Cache<String, FileEntry>> entries = new AtomicReference<>();
    private final int max;
    private final Duration valid;
    private final FileResolver resolver;
    private final BlockingPool blockingPool;

    OpenFileCache(int max, Duration valid, FileResolver resolver, BlockingPool blockingPool) {
        this.max = max;
        this.valid = valid;
        this.resolver = resolver;
        this.blockingPool = blockingPool;
    }

    /** The cached entry, or {@code null} on a miss. The caller holds no reference on it. */
    FileEntry cached(String relative) {
        Cache<String, FileEntry> cache = entries.get();
        return cache == null ? null : cache.getIfPresent(relative);
    }

    /**
     * Resolves {@code relative} on the blocking pool; the future's listeners run on {@code loop}. The
     * entry it yields carries one reference for the caller, who must {@link FileEntry#release()} it.
     */
    Future<FileEntry> load(String relative, EventExecutor loop) {
        return blockingPool.submit(() -> {
            FileEntry entry = resolver.resolve(relative);
            if (max != 0) {
                entry.retain();
                cache().put(relative, entry);
            }
            return entry;
        }, loop);
    }

    /** Forgets an entry found stale when its file was used. */
    void invalidate(String relative) {
        Cache<String, FileEntry> cache = entries.get();
        if (cache != null) {
            cache.invalidate(relative);
        }
    }

    /** The cache, made now if no miss made it yet; two misses racing keep the first one's (both are empty). */
    private Cache<String, FileEntry> cache() {
        Cache<String, FileEntry> cache = entries.get();
        if (cache != null) {
            return cache;
        }
        // maintenance runs on the calling thread: amortised, lock-free for readers, and no wake-ups of
        // another pool at a high request rate
        Cache<String, FileEntry> made = Caffeine.newBuilder()
                .maximumSize(max)
                .expireAfterWrite(valid)
                .executor(Runnable::run)
                .<String, FileEntry>removalListener((key, entry, cause) -> {
                    if (entry != null) {
                        entry.release();
                    }
                })
                .build();
        return entries.compareAndSet(null, made) ? made : entries.get();
    }
}
