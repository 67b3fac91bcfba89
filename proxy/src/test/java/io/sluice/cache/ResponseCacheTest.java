package io.sluice.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.config.CacheConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponseCacheTest {
    private static final CacheControl MAX_AGE = CacheControl.of(headers("Cache-Control", "max-age=60"));

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    private static CachedResponse entry(String key, int size) {
        ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        body.writeZero(size);
        return new CachedResponse(key, HttpResponseStatus.OK, headers("Content-Type", "text/plain"), body,
                new Freshness(60_000, 0, 0), MAX_AGE);
    }

    @Test
    void aHitThatRacesEvictionEitherHoldsTheBytesOrMisses() {
        CachedResponse entry = entry("k", 100);
        ByteBuf held = entry.retainBody();
        assertNotNull(held);
        entry.release();
        assertEquals(1, held.refCnt(), "the bytes outlive the entry while a hit writes them");
        assertNull(entry.retainBody(), "a released entry gives no body");
        held.release();
        assertEquals(0, held.refCnt());
    }

    @Test
    void theWeigherKeepsTheTotalWithinMaxSizeAndEvictedBodiesAreFreed() {
        ResponseCache cache = new ResponseCache(new CacheConfig(64 * 1024, 16 * 1024, Duration.ZERO, Duration.ofSeconds(1)));
        for (int i = 0; i < 50; i++) {
            cache.put("k" + i, List.of(), entry("k" + i, 8 * 1024));
        }
        assertTrue(cache.weightedSize() <= 64 * 1024, "weighed " + cache.weightedSize());
        assertTrue(cache.evictions() > 0);
        cache.purgeAll();
        assertEquals(0, cache.entryCount());
    }

    @Test
    void variantsShareAPrimaryKeyAndArePurgedWithIt() {
        ResponseCache cache = new ResponseCache(CacheConfig.DEFAULTS);
        HttpHeaders english = headers("Accept-Language", "EN, fr ");
        String englishKey = VaryKeys.variant("p", List.of("accept-language"), english);
        cache.put("p", List.of("accept-language"), entry(englishKey, 10));
        cache.put("p", List.of("accept-language"), entry(VaryKeys.variant("p", List.of("accept-language"),
                headers("Accept-Language", "de")), 10));
        cache.put("pp", List.of(), entry("pp", 10));
        assertEquals(englishKey, cache.variantKey("p", headers("accept-language", "en,fr")));
        assertNotNull(cache.get(englishKey));
        assertEquals(2, cache.purge("p"));
        assertNotNull(cache.get("pp"), "another key that merely starts alike stays");
        assertEquals(1, cache.purgePrefix("p"));
    }

    @Test
    void oneRequestLeadsAFillAndTheOthersAreWokenWhenItEnds() {
        ResponseCache cache = new ResponseCache(CacheConfig.DEFAULTS);
        Fill fill = cache.lead("k");
        assertNotNull(fill);
        assertNull(cache.lead("k"));
        int[] woken = new int[1];
        assertTrue(cache.inFlight("k").await(Runnable::run, () -> woken[0]++));
        cache.finish(fill);
        assertEquals(1, woken[0]);
        assertNull(cache.inFlight("k"));
        assertFalse(fill.await(Runnable::run, () -> woken[0]++), "a finished fill wakes no one later");
        assertNotNull(cache.lead("k"));
    }

    @Test
    void aFillOlderThanTheLockTimeoutIsTakenOverAndItsWaitersWoken() {
        long[] now = {0};
        ResponseCache cache = new ResponseCache(
                new CacheConfig(1 << 20, 1 << 16, Duration.ZERO, Duration.ofMillis(20)), () -> now[0]);
        Fill stuck = cache.lead("k");
        int[] woken = new int[1];
        assertTrue(stuck.await(Runnable::run, () -> woken[0]++));
        now[0] += Duration.ofMillis(20).toNanos();
        assertNull(cache.lead("k"), "a fill as old as the lock timeout is still waited for");
        now[0] += 1;
        Fill next = cache.lead("k");
        assertNotNull(next, "an old one is taken over");
        assertEquals(1, woken[0]);
        cache.finish(stuck);
        assertEquals(next, cache.inFlight("k"), "the old leader finishing late leaves the new fill alone");
        assertEquals(1, woken[0]);
    }
}
