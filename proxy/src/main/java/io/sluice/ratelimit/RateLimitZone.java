package io.sluice.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.sluice.config.RateLimitZoneConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code rate-limit-zones} entry: per-key rate state shared by every event loop, and the requests in
 * progress per key for {@code limit-conn}.
 *
 * <p>The rate state is one {@link AtomicLong} per key (see {@link RequestRate}) in a Caffeine cache bounded
 * by {@code max-keys} and expiring keys idle for {@code idle-timeout}, so a flood of distinct client
 * addresses costs at most {@code max-keys} entries. It is shared rather than split into per-loop shards
 * because one client's connections land on different loops: shards would each grant the full rate, and
 * the limit would grow with the number of loops. Contention stays per key: a hit is a lock-free map read
 * and one compare-and-set, and only the first request of a new key takes the map's per-bin insert lock.
 * A key evicted while a request holds its counter only forgets that key's history (it gets a fresh bucket),
 * which is what an idle key gets anyway.
 */
public final class RateLimitZone {
    /** Keys longer than this (long header values) are kept as a digest, so one entry stays small. */
    static final int MAX_KEY_CHARS = 64;

    private final RateLimitZoneConfig config;
    private final NanoClock clock;
    private final Cache<String, AtomicLong> rates;
    private final InFlightTable inFlight;

    public RateLimitZone(RateLimitZoneConfig config, NanoClock clock) {
        this(config, clock, new InFlightTable());
    }

    RateLimitZone(RateLimitZoneConfig config, NanoClock clock, InFlightTable inFlight) {
        this.config = config;
        this.clock = clock;
        this.inFlight = inFlight;
        this.rates = Caffeine.newBuilder()
                .maximumSize(config.maxKeys())
                .expireAfterAccess(config.idleTimeout())
                .ticker(clock::nanoTime)
                .build();
    }

    public RateLimitZoneConfig config() {
        return config;
    }

    InFlightTable inFlightTable() {
        return inFlight;
    }

    /**
     * Decides one request of {@code key} against {@code rate} now: a delay {@code >= 0} when it is admitted,
     * a negative number when it is refused (see {@link RequestRate#refused} and
     * {@link RequestRate#retryAfterNanos}).
     */
    public long admit(String key, RequestRate rate) {
        AtomicLong theoreticalArrival = rates.get(compact(key), k -> new AtomicLong(Long.MIN_VALUE));
        return rate.admit(theoreticalArrival, clock.nanoTime());
    }

    /** A slot for one more request of {@code key} in progress, or null when {@code max} are; see {@link InFlight}. */
    public InFlight tryAcquire(String key, int max) {
        return inFlight.tryAcquire(compact(key), max);
    }

    /** Keys with rate state, as Caffeine estimates it (exact after {@link #cleanUp()}). */
    public long rateKeys() {
        return rates.estimatedSize();
    }

    /** Keys with requests in progress. */
    public int inFlightKeys() {
        return inFlight.keys();
    }

    /** Runs pending evictions and expirations now (Caffeine otherwise does it as it goes). */
    public void cleanUp() {
        rates.cleanUp();
    }

    static String compact(String key) {
        if (key.length() <= MAX_KEY_CHARS) {
            return key;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "#" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
