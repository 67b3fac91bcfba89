package io.sluice.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.Date;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FreshnessTest {
    private static final long NOW = 1_800_000_000_000L;
    private final StorePolicy policy = new StorePolicy(false, false);

    private static HttpHeaders fields(String... pairs) {
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    private static String date(long millis) {
        return DateFormatter.format(new Date(millis));
    }

    private static Freshness freshness(HttpHeaders headers) {
        return Freshness.of(headers, CacheControl.of(headers), NOW - 100, NOW, 0);
    }

    @Test
    void sMaxAgeWinsOverMaxAgeWhichWinsOverExpires() {
        assertEquals(30_000, freshness(fields("Cache-Control", "max-age=10, s-maxage=30",
                "Expires", date(NOW + 99_000))).lifetimeMillis());
        assertEquals(10_000, freshness(fields("Cache-Control", "max-age=10", "Expires", date(NOW + 99_000)))
                .lifetimeMillis());
        assertEquals(60_000, freshness(fields("Date", date(NOW - 20_000), "Expires", date(NOW + 40_000)))
                .lifetimeMillis(), "Expires counts from Date, not from when it arrived");
    }

    @Test
    void anInvalidExpiresOrMaxAgeMeansAlreadyStale() {
        assertEquals(0, freshness(fields("Expires", "0")).lifetimeMillis());
        assertEquals(0, freshness(fields("Cache-Control", "max-age=soon")).lifetimeMillis());
    }

    @Test
    void withoutExplicitFreshnessOnlyMicroCachingGivesALifetime() {
        HttpHeaders headers = fields("Content-Type", "text/plain");
        assertEquals(Freshness.UNKNOWN, freshness(headers).lifetimeMillis());
        assertEquals(1000, Freshness.of(headers, CacheControl.of(headers), NOW, NOW, 1000).lifetimeMillis());
    }

    @Test
    void ageCountsTheAgeFieldTheDateAndTheRoundTrip() {
        Freshness withAge = Freshness.of(fields("Age", "30", "Cache-Control", "max-age=60"), CacheControl.of(
                fields("Cache-Control", "max-age=60")), NOW - 2000, NOW, 0);
        assertEquals(32_000, withAge.ageMillis(NOW), "Age plus the response delay");
        assertEquals(42_000, withAge.ageMillis(NOW + 10_000));
        assertTrue(withAge.isFresh(NOW + 27_000));
        assertFalse(withAge.isFresh(NOW + 28_000));
        Freshness oldDate = freshness(fields("Date", date(NOW - 50_000), "Cache-Control", "max-age=60"));
        assertEquals(50_000, oldDate.ageMillis(NOW), "the apparent age from Date");
        assertEquals(-10_000, oldDate.stalenessMillis(NOW));
    }

    @Test
    void cacheControlParsesQuotedAndRepeatedFields() {
        CacheControl control = CacheControl.of(fields("Cache-Control", "public, no-cache=\"set-cookie, x-a\"",
                "Cache-Control", "max-age=\"20\", stale-while-revalidate=5, stale-if-error=bad"));
        assertTrue(control.isPublic());
        assertTrue(control.noCache());
        assertEquals(20, control.maxAge());
        assertEquals(5, control.staleWhileRevalidate());
        assertEquals(-1, control.staleIfError());
        assertFalse(control.forbidsStale());
        assertTrue(CacheControl.of(fields("Cache-Control", "s-maxage=5")).forbidsStale());
        assertEquals(Integer.MAX_VALUE, CacheControl.of(fields("Cache-Control", "max-age=99999999999999999999")).maxAge());
    }

    @Test
    void storeRefusesWhatASharedCacheMustNotKeep() {
        assertEquals("private", refusal(200, false, "Cache-Control", "private, max-age=60"));
        assertEquals("no-store", refusal(200, false, "Cache-Control", "no-store"));
        assertEquals("Set-Cookie", refusal(200, false, "Cache-Control", "max-age=60", "Set-Cookie", "a=b"));
        assertEquals("Vary: *", refusal(200, false, "Cache-Control", "max-age=60", "Vary", "*"));
        assertEquals("status 206", refusal(206, false, "Cache-Control", "max-age=60"));
        assertEquals("no explicit freshness", refusal(200, false, "Content-Type", "text/html"));
        assertEquals("request with Authorization", refusal(200, true, "Cache-Control", "max-age=60"));
        assertEquals("status 302 without explicit freshness", refusal(302, false, "Cache-Control", "no-cache",
                "ETag", "\"x\""));
        assertNull(refusal(200, true, "Cache-Control", "public, max-age=60"));
        assertNull(refusal(200, true, "Cache-Control", "s-maxage=60"));
        assertNull(refusal(200, false, "Cache-Control", "no-cache", "ETag", "\"x\""));
        assertEquals("no-cache without a validator", refusal(200, false, "Cache-Control", "no-cache"));
        assertNull(refusal(302, false, "Cache-Control", "max-age=60"));
        assertNull(refusal(404, false, "Expires", date(NOW + 60_000)));
        assertNull(new StorePolicy(true, true).refusal(200, fields("Set-Cookie", "a=b", "Cache-Control", "max-age=9"),
                CacheControl.of(fields("Cache-Control", "max-age=9")), freshness(fields("Cache-Control", "max-age=9")), true));
    }

    private String refusal(int status, boolean authorized, String... pairs) {
        HttpHeaders headers = fields(pairs);
        return policy.refusal(status, headers, CacheControl.of(headers), freshness(headers), authorized);
    }
}
