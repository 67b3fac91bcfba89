package io.sluice.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.config.CacheConfig;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The process's response cache: entries in a Caffeine cache bounded by bytes (the weigher counts body,
 * fields and bookkeeping; W-TinyLFU admission keeps popular entries through scans), the {@code Vary}
 * field names last seen per primary key, and the fills in flight for request collapsing. Lookups are
 * lock-free reads; every event loop shares the one instance.
 */
public final class ResponseCache {
    /** How many primary keys remember their {@code Vary} names; each costs a few dozen bytes. */
    private static final long VARY_INDEX_SIZE = 100_000;

    private final Cache<String, CachedResponse> entries;
    private final Cache<String, List<String>> varyIndex;
    private final ConcurrentMap<String, Fill> fills = new ConcurrentHashMap<>();
    private final CacheStats stats = new CacheStats();
    private final LongAdder evictions = new LongAdder();
    private final LongSupplier nanoClock;
    private volatile CacheConfig config;

    public ResponseCache(CacheConfig config) {
        this(config, System::nanoTime);
    }

    /** {@code nanoClock}: where a fill's age is read, so a test can age a fill without sleeping. */
    ResponseCache(CacheConfig config, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.config = config;
        this.entries = Caffeine.newBuilder()
                .maximumWeight(config.maxSize())
                .weigher((String key, CachedResponse entry) -> entry.weight())
                // maintenance and notifications run on the thread that triggered them: releasing a buffer
                // is cheap, and a test (or the status page) then sees the bound kept at once
                .executor(Runnable::run)
                .removalListener((String key, CachedResponse entry, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                    if (entry != null) {
                        entry.release();
                    }
                })
                .build();
        this.varyIndex = Caffeine.newBuilder().maximumSize(VARY_INDEX_SIZE).executor(Runnable::run).build();
    }

    public CacheConfig config() {
        return config;
    }

    /** Applies a reloaded {@code cache { }} block; entries stay, and a smaller max-size evicts at once. */
    public void reconfigure(CacheConfig next) {
        if (!next.equals(config)) {
            config = next;
            entries.policy().eviction().ifPresent(eviction -> eviction.setMaximum(next.maxSize()));
        }
    }

    /** The key of the variant {@code request} selects under {@code primary}, by the Vary names last stored. */
    public String variantKey(String primary, HttpHeaders request) {
        List<String> names = varyIndex.getIfPresent(primary);
        return names == null ? primary : VaryKeys.variant(primary, names, request);
    }

    /**
     * The entry {@code request} selects under {@code primary}, or null. A response without Vary is stored
     * under the primary key itself, so the common hit costs one lookup; only when that misses is the
     * Vary index asked for the request's variant.
     */
    public CachedResponse lookup(String primary, HttpHeaders request) {
        CachedResponse plain = entries.getIfPresent(primary);
        if (plain != null) {
            return plain;
        }
        List<String> names = varyIndex.getIfPresent(primary);
        return names == null ? null : entries.getIfPresent(VaryKeys.variant(primary, names, request));
    }

    public CachedResponse get(String key) {
        return entries.getIfPresent(key);
    }

    /**
     * Stores {@code entry} (replacing the one under its key) and the Vary names of its primary key. A
     * response that varies replaces a plain entry of its primary key, and a plain one the Vary names, so
     * that {@link #lookup} never finds a response that no longer applies.
     */
    public void put(String primary, List<String> varyNames, CachedResponse entry) {
        if (varyNames.isEmpty()) {
            varyIndex.invalidate(primary);
        } else {
            varyIndex.put(primary, varyNames);
            entries.invalidate(primary);
        }
        entries.put(entry.key(), entry);
    }

    /**
     * Starts the fill of {@code key}, or returns null when one is in flight: the caller then waits for it.
     * A fill older than {@code lock-timeout} is taken over (its waiters are woken), so that a fill whose
     * leader never finishes cannot make every later request for the key wait.
     */
    public Fill lead(String key) {
        long now = nanoClock.getAsLong();
        Fill fill = new Fill(key, now);
        Fill running = fills.putIfAbsent(key, fill);
        if (running == null) {
            return fill;
        }
        if (now - running.startedNanos() > config.lockTimeout().toNanos() && fills.replace(key, running, fill)) {
            running.complete();
            return fill;
        }
        return null;
    }

    /** The fill in flight for {@code key}, or null. */
    public Fill inFlight(String key) {
        return fills.get(key);
    }

    /** Ends a fill from {@link #lead}, whatever its outcome: its waiters look again (and find the entry, or go upstream). */
    public void finish(Fill fill) {
        fills.remove(fill.key(), fill);
        fill.complete();
    }

    /** Removes the entries of a primary key (all its variants); returns how many. */
    public int purge(String primary) {
        varyIndex.invalidate(primary);
        String variantPrefix = primary + VaryKeys.SEPARATOR;
        return removeIf(key -> key.equals(primary) || key.startsWith(variantPrefix));
    }

    /** Removes every entry whose primary key starts with {@code prefix}; returns how many. */
    public int purgePrefix(String prefix) {
        varyIndex.asMap().keySet().removeIf(key -> key.startsWith(prefix));
        return removeIf(key -> key.startsWith(prefix));
    }

    /** Removes every entry (and so releases every body); returns how many there were. */
    public int purgeAll() {
        int count = (int) Math.min(Integer.MAX_VALUE, entries.estimatedSize());
        entries.invalidateAll();
        varyIndex.invalidateAll();
        entries.cleanUp();
        return count;
    }

    private int removeIf(Predicate<String> matches) {
        int removed = 0;
        for (String key : List.copyOf(entries.asMap().keySet())) {
            if (matches.test(key) && entries.asMap().remove(key) != null) {
                removed++;
            }
        }
        return removed;
    }

    public long entryCount() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /** The weigher's total over every entry: at most {@code max-size} once maintenance has run. */
    public long weightedSize() {
        entries.cleanUp();
        return entries.policy().eviction().map(eviction -> eviction.weightedSize().orElse(0)).orElse(0L);
    }

    public long evictions() {
        return evictions.sum();
    }

    public CacheStats stats() {
        return stats;
    }
}
