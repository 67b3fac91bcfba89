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

/** The cache's opt-ins and limits: micro-caching, cookies, Authorization, a custom key, the lock timeout, reloads. */
class ResponseCacheOptionsIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static CountingBackend backend;
    private static OperatedSluice sluice;

    private static String config(String maxSize) {
        return """
                sluice {
                  workers = 2
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  cache { max-size = %s, min-ttl = 30s, lock-timeout = 300ms }
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/tenant/", proxy { upstream = app, cache = true, cache-key = "$uri|$http_x_tenant" } }
                    { match = "/by-cookie/", proxy { upstream = app, cache = true, cache-key = "$uri|$cookie:tenant" } }
                    { match = "/", proxy { upstream = app, cache = true, cache-methods = [ GET ],
                        cache-authorized = true, cache-set-cookie = true } }
                  ] } ]
                }""".formatted(maxSize, backend.address());
    }

    @BeforeAll
    static void start() throws Exception {
        backend = new CountingBackend();
        sluice = OperatedSluice.start(config("1m"));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
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
    void microCachingKeepsResponsesWithoutFreshnessButNotUncacheableStatuses() throws Exception {
        backend.answer("/plain", CountingBackend.Answer.of(200, "plain"));
        backend.answer("/created", CountingBackend.Answer.of(201, "created"));
        send("GET", "/plain");
        assertEquals("HIT", xCache(send("GET", "/plain")));
        send("GET", "/created");
        assertEquals("MISS", xCache(send("GET", "/created")));
        assertEquals(1, backend.count("/plain"));
        assertEquals(2, backend.count("/created"));
    }

    @Test
    void optedInCookiesAndAuthorizedAnswersAreStored() throws Exception {
        backend.answer("/cookie", CountingBackend.Answer.of(200, "c", "Cache-Control", "max-age=60", "Set-Cookie", "a=b"));
        backend.answer("/auth", CountingBackend.Answer.of(200, "a", "Cache-Control", "max-age=60"));
        send("GET", "/cookie");
        HttpResponse<String> hit = send("GET", "/cookie");
        assertEquals("HIT", xCache(hit));
        assertEquals("a=b", hit.headers().firstValue("set-cookie").orElseThrow());
        send("GET", "/auth", "Authorization", "Basic eDp5");
        assertEquals("HIT", xCache(send("GET", "/auth", "Authorization", "Basic eDp5")));
    }

    @Test
    void headBypassesTheCacheWhenOnlyGetIsListed() throws Exception {
        backend.answer("/get-only", CountingBackend.Answer.of(200, "g", "Cache-Control", "max-age=60"));
        send("GET", "/get-only");
        assertEquals("BYPASS", xCache(send("HEAD", "/get-only")));
        assertEquals(2, backend.count("/get-only"));
    }

    @Test
    void theCacheKeyDecidesWhatSharesAnEntry() throws Exception {
        backend.answer("/tenant/page", new CountingBackend.Answer(200, request -> "for " + request.get("x-tenant"),
                List.of("Cache-Control", "max-age=60"), 0));
        assertEquals("for a", send("GET", "/tenant/page", "X-Tenant", "a").body());
        assertEquals("for b", send("GET", "/tenant/page", "X-Tenant", "b").body());
        assertEquals("for a", send("GET", "/tenant/page?ignored=1", "X-Tenant", "a").body(), "the key has no $args");
        assertEquals(2, backend.count("/tenant/page"));
        HttpResponse<String> purge = sluice.post(sluice.adminUri("/cache/purge?key=/tenant/page%7Cb"));
        assertEquals("{\"purged\":1}", purge.body().strip());
    }

    @Test
    void aCookieInTheCacheKeySeparatesEntries() throws Exception {
        backend.answer("/by-cookie/page", new CountingBackend.Answer(200, request -> "for " + request.get("cookie"),
                List.of("Cache-Control", "max-age=60"), 0));
        assertEquals("for tenant=a; x=1", send("GET", "/by-cookie/page", "Cookie", "tenant=a; x=1").body());
        assertEquals("for tenant=b", send("GET", "/by-cookie/page", "Cookie", "tenant=b").body());
        assertEquals("for tenant=a; x=1", send("GET", "/by-cookie/page", "Cookie", "x=2; tenant=a").body(),
                "only the tenant cookie is in the key");
        assertEquals(2, backend.count("/by-cookie/page"));
    }

    @Test
    void waitersGoUpstreamThemselvesAfterTheLockTimeout() throws Exception {
        backend.answer("/slow", CountingBackend.Answer.of(200, "slow", "Cache-Control", "max-age=60").delayed(1500));
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            responses.add(CLIENT.sendAsync(HttpRequest.newBuilder(sluice.uri("/slow")).timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(50);
        }
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertEquals("slow", response.get().body());
        }
        assertEquals(3, backend.count("/slow"), "the 300 ms lock timeout ended the wait before the 1.5 s answer");
    }

    @Test
    void entriesSurviveAReloadAndASmallerMaxSizeEvictsAtOnce() throws Exception {
        for (int i = 0; i < 20; i++) {
            backend.answer("/big/" + i, CountingBackend.Answer.of(200, "x".repeat(20_000), "Cache-Control", "max-age=60"));
            send("GET", "/big/" + i);
        }
        assertEquals("HIT", xCache(send("GET", "/big/19")));
        sluice.rewrite(config("100k"));
        HttpResponse<String> reload = sluice.post(sluice.adminUri("/reload"));
        assertEquals(200, reload.statusCode(), reload.body());
        assertTrue(sluice.server().responseCache().weightedSize() <= 100 * 1024,
                "weighed " + sluice.server().responseCache().weightedSize());
        assertTrue(sluice.server().responseCache().entryCount() > 0, "a reload keeps what fits");
        sluice.rewrite(config("1m"));
        assertEquals(200, sluice.post(sluice.adminUri("/reload")).statusCode());
    }
}
