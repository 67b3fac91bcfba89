package io.sluice.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.config.CacheConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hit rate of Sluice's response cache (Caffeine, W-TinyLFU, weighed in bytes) against an LRU of the
 * same byte size, on one trace: Zipf-distributed requests over a large catalogue of responses of varied
 * size, interrupted by scans of responses requested once (a crawler, a backup, a cache-busting client).
 * LRU lets every scan flush the popular entries; TinyLFU admits a newcomer only over an entry requested
 * less often. The trace is seeded, so both see the same requests.
 */
class ZipfScanHitRateTest {
    private static final int CATALOGUE = 100_000;
    private static final double ZIPF_EXPONENT = 0.9;
    private static final int REQUESTS = 400_000;
    /** Every this many requests comes a scan: half of the next {@link #SCAN_WINDOW} requests are one-time keys. */
    private static final int SCAN_EVERY = 40_000;
    private static final int SCAN_WINDOW = 20_000;
    private static final long MAX_SIZE = 32L << 20;

    @Test
    void caffeineKeepsAtLeastTheHitRateOfAnLruOfTheSameSize() {
        String[] trace = trace();
        double sluice = sluiceHitRate(trace);
        double lru = lruHitRate(trace);
        System.out.printf("zipf+scan trace (%d requests, %d keys, s=%.2f, %d one-time keys every %d requests, "
                        + "1-16 KiB bodies, max-size %d MiB): sluice hit rate %.4f, LRU hit rate %.4f%n", REQUESTS, CATALOGUE,
                ZIPF_EXPONENT, SCAN_WINDOW / 2, SCAN_EVERY, MAX_SIZE >> 20, sluice, lru);
        assertTrue(sluice >= lru, "sluice " + sluice + " < lru " + lru);
    }

    private static String[] trace() {
        double[] cdf = new double[CATALOGUE];
        double sum = 0;
        for (int i = 0; i < CATALOGUE; i++) {
            sum += 1 / Math.pow(i + 1, ZIPF_EXPONENT);
            cdf[i] = sum;
        }
        SplittableRandom random = new SplittableRandom(42);
        String[] trace = new String[REQUESTS];
        int scanned = 0;
        for (int i = 0; i < REQUESTS; i++) {
            if (i % SCAN_EVERY >= SCAN_EVERY - SCAN_WINDOW && i % 2 == 0) {
                trace[i] = "scan/" + scanned++;
                continue;
            }
            int rank = Arrays.binarySearch(cdf, random.nextDouble() * sum);
            trace[i] = "key/" + (rank < 0 ? -rank - 1 : rank);
        }
        return trace;
    }

    /** Bodies of 1 to 16 KiB, the same for a key in both caches. */
    private static int bodySize(String key) {
        return 1024 + Math.floorMod(key.hashCode() * 31 + 7, 15 * 1024);
    }

    private static double sluiceHitRate(String[] trace) {
        ResponseCache cache = new ResponseCache(new CacheConfig(MAX_SIZE, 1 << 20, Duration.ZERO, Duration.ofSeconds(1)));
        CacheControl control = CacheControl.of(DefaultHttpHeadersFactory.headersFactory().newHeaders());
        long hits = 0;
        try {
            for (String key : trace) {
                if (cache.get(key) != null) {
                    hits++;
                    continue;
                }
                ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(bodySize(key));
                body.writerIndex(body.capacity());
                cache.put(key, List.of(), new CachedResponse(key, HttpResponseStatus.OK,
                        DefaultHttpHeadersFactory.headersFactory().newHeaders(), body, new Freshness(60_000, 0, 0), control));
            }
        } finally {
            cache.purgeAll();
        }
        return (double) hits / trace.length;
    }

    /** The same weights in an LRU: a linked map in access order, evicting the eldest until the bytes fit. */
    private static double lruHitRate(String[] trace) {
        Map<String, Integer> lru = new LinkedHashMap<>(16, 0.75f, true);
        long bytes = 0;
        long hits = 0;
        for (String key : trace) {
            if (lru.get(key) != null) {
                hits++;
                continue;
            }
            int weight = weight(key);
            lru.put(key, weight);
            bytes += weight;
            var eldest = lru.entrySet().iterator();
            while (bytes > MAX_SIZE && eldest.hasNext()) {
                bytes -= eldest.next().getValue();
                eldest.remove();
            }
        }
        return (double) hits / trace.length;
    }

    /** What {@link CachedResponse} weighs for such an entry: the body and the same bookkeeping. */
    private static int weight(String key) {
        return CachedResponse.weigh(key, DefaultHttpHeadersFactory.headersFactory().newHeaders(), bodySize(key));
    }
}
