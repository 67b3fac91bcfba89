package io.sluice.upstream;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The response cache in front of a counting backend: what clients see, and how often the backend is asked. */
class ResponseCacheIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static CountingBackend backend;
    private static OperatedSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new CountingBackend();
        sluice = OperatedSluice.start("""
                sluice {
                  workers = 2
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  cache { max-size = 256k, max-object-size = 16k, lock-timeout = 10s }
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app, cache = true } }
                  ] } ]
                }""".formatted(backend.address()));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
    }

    private static HttpResponse<String> get(String target, String... headers) throws Exception {
        return send("GET", target, headers);
    }

    private static HttpResponse<String> send(String method, String target, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(sluice.uri(target)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String xCache(HttpResponse<?> response) {
        return response.headers().firstValue("x-cache").orElse(null);
    }

    @Test
    void aFreshResponseIsServedFromTheCacheWithItsAge() throws Exception {
        backend.answer("/fresh", CountingBackend.Answer.of(200, "fresh body", "Cache-Control", "max-age=60",
                "Content-Type", "text/plain", "Age", "7"));
        HttpResponse<String> first = get("/fresh");
        HttpResponse<String> second = get("/fresh");
        assertEquals("MISS", xCache(first));
        assertEquals("HIT", xCache(second));
        assertEquals("fresh body", second.body());
        assertEquals("text/plain", second.headers().firstValue("content-type").orElseThrow());
        assertTrue(Long.parseLong(second.headers().firstValue("age").orElseThrow()) >= 7, "Age counts the upstream's age");
        assertEquals(1, backend.count("/fresh"));
    }

    @Test
    void headIsAnsweredFromTheGetEntry() throws Exception {
        backend.answer("/for-head", CountingBackend.Answer.of(200, "twelve bytes", "Cache-Control", "max-age=60"));
        get("/for-head");
        HttpResponse<String> head = send("HEAD", "/for-head");
        assertEquals("HIT", xCache(head));
        assertEquals("12", head.headers().firstValue("content-length").orElseThrow());
        assertEquals("", head.body());
        assertEquals(1, backend.count("/for-head"));
    }

    @Test
    void queryStringsAreDifferentEntries() throws Exception {
        backend.answer("/q?a=1", CountingBackend.Answer.of(200, "one", "Cache-Control", "max-age=60"));
        backend.answer("/q?a=2", CountingBackend.Answer.of(200, "two", "Cache-Control", "max-age=60"));
        assertEquals("one", get("/q?a=1").body());
        assertEquals("two", get("/q?a=2").body());
        assertEquals("one", get("/q?a=1").body());
        assertEquals(1, backend.count("/q?a=1"));
    }

    @Test
    void privateNoStoreSetCookieAndUnmarkedResponsesAreNotStored() throws Exception {
        backend.answer("/private", CountingBackend.Answer.of(200, "p", "Cache-Control", "private, max-age=60"));
        backend.answer("/no-store", CountingBackend.Answer.of(200, "n", "Cache-Control", "no-store, max-age=60"));
        backend.answer("/cookie", CountingBackend.Answer.of(200, "c", "Cache-Control", "max-age=60", "Set-Cookie", "id=1"));
        backend.answer("/unmarked", CountingBackend.Answer.of(200, "u"));
        for (String target : List.of("/private", "/no-store", "/cookie", "/unmarked")) {
            assertEquals("MISS", xCache(get(target)), target);
            assertEquals("MISS", xCache(get(target)), target);
            assertEquals(2, backend.count(target), target);
        }
    }

    @Test
    void answersToAuthorizedRequestsAreStoredOnlyWhenTheResponseAllowsIt() throws Exception {
        backend.answer("/auth", CountingBackend.Answer.of(200, "mine", "Cache-Control", "max-age=60"));
        backend.answer("/auth-public", CountingBackend.Answer.of(200, "ours", "Cache-Control", "public, max-age=60"));
        get("/auth", "Authorization", "Bearer a");
        get("/auth", "Authorization", "Bearer a");
        assertEquals(2, backend.count("/auth"));
        get("/auth-public", "Authorization", "Bearer a");
        assertEquals("HIT", xCache(get("/auth-public")));
        assertEquals(1, backend.count("/auth-public"));
    }

    @Test
    void requestsWithOtherMethodsOrBodiesBypassTheCache() throws Exception {
        backend.answer("/post", CountingBackend.Answer.of(200, "posted", "Cache-Control", "max-age=60"));
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(sluice.uri("/post"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("BYPASS", xCache(post));
        assertEquals("MISS", xCache(get("/post")));
        assertEquals(2, backend.count("/post"));
    }

    @Test
    void aStaleEntryWithAValidatorIsRevalidatedAndRefreshed() throws Exception {
        // Age beyond max-age: stale on arrival, stored for its validator
        backend.answer("/validated", CountingBackend.Answer.of(200, "v1 body", "Cache-Control", "max-age=5",
                "Age", "30", "ETag", "\"v1\""));
        assertEquals("MISS", xCache(get("/validated")));
        backend.answer("/validated", CountingBackend.Answer.of(200, "never sent", "Cache-Control", "max-age=60",
                "ETag", "\"v1\"", "X-Refreshed", "yes"));
        HttpResponse<String> revalidated = get("/validated");
        assertEquals("REVALIDATED", xCache(revalidated));
        assertEquals("v1 body", revalidated.body());
        assertEquals("yes", revalidated.headers().firstValue("x-refreshed").orElseThrow(), "the 304's fields are kept");
        assertEquals("\"v1\"", backend.received.get(backend.received.size() - 1).get("if-none-match"));
        HttpResponse<String> hit = get("/validated");
        assertEquals("HIT", xCache(hit));
        assertEquals("v1 body", hit.body());
        assertEquals(2, backend.count("/validated"));
    }

    @Test
    void aChangedResourceReplacesTheStaleEntry() throws Exception {
        backend.answer("/changed", CountingBackend.Answer.of(200, "old", "Cache-Control", "max-age=5", "Age", "30",
                "ETag", "\"old\""));
        get("/changed");
        backend.answer("/changed", CountingBackend.Answer.of(200, "new", "Cache-Control", "max-age=60", "ETag", "\"new\""));
        HttpResponse<String> miss = get("/changed");
        assertEquals("MISS", xCache(miss));
        assertEquals("new", miss.body());
        assertEquals("new", get("/changed").body());
        assertEquals(2, backend.count("/changed"));
    }

    @Test
    void clientValidatorsMatchingAHitGetA304() throws Exception {
        backend.answer("/etagged", CountingBackend.Answer.of(200, "tagged", "Cache-Control", "max-age=60", "ETag", "\"t\""));
        get("/etagged");
        HttpResponse<String> conditional = get("/etagged", "If-None-Match", "\"t\"");
        assertEquals(304, conditional.statusCode());
        assertEquals("HIT", xCache(conditional));
        assertEquals(1, backend.count("/etagged"));
    }

    @Test
    void staleIfErrorServesTheStaleEntryWhenTheUpstreamFails() throws Exception {
        backend.answer("/fallback", CountingBackend.Answer.of(200, "good", "Cache-Control",
                "max-age=5, stale-if-error=600", "Age", "30"));
        get("/fallback");
        backend.answer("/fallback", CountingBackend.Answer.of(503, "down"));
        HttpResponse<String> stale = get("/fallback");
        assertEquals(200, stale.statusCode());
        assertEquals("STALE", xCache(stale));
        assertEquals("good", stale.body());
        assertEquals(2, backend.count("/fallback"));
    }

    @Test
    void withoutStaleIfErrorTheUpstreamErrorPassesThrough() throws Exception {
        backend.answer("/strict", CountingBackend.Answer.of(200, "good", "Cache-Control", "max-age=5", "Age", "30"));
        get("/strict");
        backend.answer("/strict", CountingBackend.Answer.of(503, "down"));
        HttpResponse<String> error = get("/strict");
        assertEquals(503, error.statusCode());
        assertEquals("MISS", xCache(error));
    }

    @Test
    void staleWhileRevalidateAnswersAtOnceAndRefreshesInTheBackground() throws Exception {
        backend.answer("/swr", CountingBackend.Answer.of(200, "old", "Cache-Control",
                "max-age=5, stale-while-revalidate=600", "Age", "30"));
        get("/swr");
        backend.answer("/swr", CountingBackend.Answer.of(200, "new", "Cache-Control", "max-age=60"));
        HttpResponse<String> stale = get("/swr");
        assertEquals("STALE", xCache(stale));
        assertEquals("old", stale.body());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> refreshed = get("/swr");
        while (!"new".equals(refreshed.body()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            refreshed = get("/swr");
        }
        assertEquals("new", refreshed.body());
        assertEquals("HIT", xCache(refreshed));
        assertEquals(2, backend.count("/swr"));
    }

    @Test
    void aFailedBackgroundRefreshIsTriedAgainByALaterRequest() throws Exception {
        backend.answer("/swr-retry", CountingBackend.Answer.of(200, "old", "Cache-Control",
                "max-age=5, stale-while-revalidate=600", "Age", "30"));
        get("/swr-retry");
        backend.answer("/swr-retry", CountingBackend.Answer.of(500, "broken"));
        assertEquals("old", get("/swr-retry").body());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (backend.count("/swr-retry") < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        backend.answer("/swr-retry", CountingBackend.Answer.of(200, "new", "Cache-Control", "max-age=60"));
        HttpResponse<String> response = get("/swr-retry");
        while (!"new".equals(response.body()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            response = get("/swr-retry");
        }
        assertEquals("new", response.body());
    }

    @Test
    void varyKeepsOneVariantPerRequestFieldValue() throws Exception {
        backend.answer("/vary", new CountingBackend.Answer(200, request -> "lang " + request.get("x-lang"),
                List.of("Cache-Control", "max-age=60", "Vary", "X-Lang"), 0));
        assertEquals("lang en", get("/vary", "X-Lang", "en").body());
        assertEquals("lang de", get("/vary", "X-Lang", "de").body());
        HttpResponse<String> english = get("/vary", "X-Lang", " EN ");
        assertEquals("lang en", english.body());
        assertEquals("HIT", xCache(english));
        HttpResponse<String> german = get("/vary", "X-Lang", "de");
        assertEquals("lang de", german.body());
        assertEquals("HIT", xCache(german));
        assertEquals(2, backend.count("/vary"));
    }

    @Test
    void responsesLargerThanMaxObjectSizeAreStreamedAndNotStored() throws Exception {
        String large = "x".repeat(20_000);
        backend.answer("/large", CountingBackend.Answer.of(200, large, "Cache-Control", "max-age=60"));
        assertEquals(large, get("/large").body());
        assertEquals(large, get("/large").body());
        assertEquals(2, backend.count("/large"));
    }

    @Test
    void concurrentMissesForOneKeyMakeOneUpstreamRequest() throws Exception {
        backend.answer("/collapsed", CountingBackend.Answer.of(200, "shared", "Cache-Control", "max-age=60").delayed(500));
        HttpClient many = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            responses.add(many.sendAsync(HttpRequest.newBuilder(sluice.uri("/collapsed")).timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int misses = 0;
        for (CompletableFuture<HttpResponse<String>> future : responses) {
            HttpResponse<String> response = future.get();
            assertEquals(200, response.statusCode());
            assertEquals("shared", response.body());
            misses += "MISS".equals(xCache(response)) ? 1 : 0;
        }
        assertEquals(1, backend.count("/collapsed"));
        assertEquals(1, misses);
    }

    @Test
    void chunkedBodiesAreStoredAndCloseDelimitedOnesAreNot() throws Exception {
        String body = "c".repeat(3000);
        backend.answer("/chunked", CountingBackend.Answer.of(200, body, "Cache-Control", "max-age=60",
                "Transfer-Encoding", CountingBackend.CHUNKED));
        backend.answer("/until-close", CountingBackend.Answer.of(200, body, "Cache-Control", "max-age=60",
                CountingBackend.CLOSE_DELIMITED, "1"));
        assertEquals(body, get("/chunked").body());
        HttpResponse<String> hit = get("/chunked");
        assertEquals("HIT", xCache(hit));
        assertEquals(body, hit.body());
        assertEquals("3000", hit.headers().firstValue("content-length").orElseThrow());
        assertEquals(body, get("/until-close").body());
        assertEquals(body, get("/until-close").body());
        assertEquals(2, backend.count("/until-close"));
    }

    @Test
    void waitersGoUpstreamThemselvesWhenTheResponseTheyWaitedForCannotBeStored() throws Exception {
        backend.answer("/private-slow", CountingBackend.Answer.of(200, "mine", "Cache-Control", "private").delayed(300));
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            responses.add(CLIENT.sendAsync(HttpRequest.newBuilder(sluice.uri("/private-slow"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertEquals("mine", response.get().body());
            assertEquals("MISS", xCache(response.get()));
        }
        assertEquals(5, backend.count("/private-slow"));
    }

    @Test
    void theCacheStaysWithinMaxSize() throws Exception {
        String body = "b".repeat(10_000);
        for (int i = 0; i < 60; i++) {
            backend.answer("/fill/" + i, CountingBackend.Answer.of(200, body, "Cache-Control", "max-age=60"));
            assertEquals(body, get("/fill/" + i).body());
        }
        assertTrue(sluice.server().responseCache().weightedSize() <= 256 * 1024,
                "weighed " + sluice.server().responseCache().weightedSize());
        assertTrue(sluice.server().responseCache().evictions() > 0);
        // a full cache admits newcomers only over entries used less (W-TinyLFU): leave it empty for the others
        sluice.server().responseCache().purgeAll();
    }

    @Test
    void purgeRemovesAKeyItsVariantsAPrefixOrEverything() throws Exception {
        backend.answer("/purge/a", CountingBackend.Answer.of(200, "a", "Cache-Control", "max-age=60"));
        backend.answer("/purge/b", CountingBackend.Answer.of(200, "b", "Cache-Control", "max-age=60"));
        get("/purge/a");
        get("/purge/b");
        String prefix = "http://127.0.0.1/purge/";
        HttpResponse<String> one = sluice.post(sluice.adminUri("/cache/purge?key=" + prefix + "a"));
        assertEquals(200, one.statusCode(), one.body());
        assertEquals("{\"purged\":1}", one.body().strip());
        assertEquals("MISS", xCache(get("/purge/a")));
        assertEquals("HIT", xCache(get("/purge/b")));
        HttpResponse<String> all = sluice.post(sluice.adminUri("/cache/purge?prefix=" + prefix));
        assertEquals("{\"purged\":2}", all.body().strip());
        assertEquals("MISS", xCache(get("/purge/b")));
        HttpResponse<String> wrongMethod = sluice.get(sluice.adminUri("/cache/purge?all=true"));
        assertEquals(405, wrongMethod.statusCode());
        HttpResponse<String> status = sluice.get(sluice.adminUri("/cache"));
        assertTrue(status.body().contains("\"hit-ratio\""), status.body());
        assertTrue(sluice.get(sluice.adminUri("/status.json")).body().contains("\"cache\":{"), "status.json has the cache");
    }
}
