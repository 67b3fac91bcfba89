package io.sluice.balance;

import io.sluice.config.ConfigLoader;
import io.sluice.testing.RunningSluice;
import io.sluice.testing.TestDnsServer;
import io.sluice.upstream.UpstreamStats;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host names in server addresses follow DNS: a test name server on loopback answers {@code app.test} with
 * loopback addresses 127.0.0.2 and 127.0.0.3, where two backends listen on the same port, and the test
 * changes the answer while Sluice proxies. A change is followed at the answer's TTL, or at {@code
 * resolve-interval} when that is shorter.
 */
class DnsResolutionIT {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String config(TestDnsServer dns, int port, String upstreamKeys) {
        return """
                sluice {
                  workers = 2
                  upstreams { app {
                    servers = [ { address = "app.test:%d" } ]
                    resolver { servers = [ "%s" ] }
                    %s
                  } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(port, dns.address(), upstreamKeys);
    }

    private static String server(NamedBackend backend) {
        return backend.address() + " (app.test)";
    }

    private HttpResponse<String> get(RunningSluice sluice, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(sluice.uri(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> servers(RunningSluice sluice) {
        return sluice.server().upstreamStates().get("app").stream().map(ServerView::server).toList();
    }

    private static NamedBackend backendAt(String name, String loopbackAddress, int port) throws Exception {
        return new NamedBackend(name, InetAddress.getByName(loopbackAddress), port);
    }

    @Test
    void trafficFollowsTheAnswerAndARemovedAddressFailsNoRequest() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0);
             NamedBackend b = backendAt("b", "127.0.0.3", a.port())) {
            dns.answer("app.test", "127.0.0.2");
            dns.ttlSeconds = 3600;
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(), "resolve-interval = 1s"))) {
                Eventually.await("app.test to resolve to a", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a))));
                for (int i = 0; i < 10; i++) {
                    assertEquals("a", get(sluice, "/x").body());
                }

                dns.answer("app.test", "127.0.0.2", "127.0.0.3");
                Eventually.await("the new address to become a server", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a), server(b))));
                Set<String> answeredBy = new TreeSet<>();
                for (int i = 0; i < 20; i++) {
                    answeredBy.add(get(sluice, "/x").body());
                }
                assertEquals(Set.of("a", "b"), answeredBy, "each address is a server of the round-robin");

                // round-robin alternates per loop, so of four requests on two loops at least one goes to a
                int before = a.requests.get() + b.requests.get();
                List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    slow.add(client.sendAsync(HttpRequest.newBuilder(sluice.uri("/slow")).timeout(Duration.ofSeconds(30)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                Eventually.await("the slow requests to reach the backends", Duration.ofSeconds(15), () -> a.requests.get() + b.requests.get() == before + 4);
                assertTrue(sluice.server().upstreamStates().get("app").get(0).inFlight() > 0, "a slow request is on a");

                AtomicBoolean stop = new AtomicBoolean();
                List<Integer> statuses = new ArrayList<>();
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                    try {
                        while (!stop.get()) {
                            statuses.add(get(sluice, "/x").statusCode());
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                dns.answer("app.test", "127.0.0.3");
                Eventually.await("the removed address to leave the group", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(b))));
                int bBefore = b.requests.get();
                Eventually.await("some requests after the change", Duration.ofSeconds(15), () -> b.requests.get() > bBefore + 20);
                stop.set(true);
                load.join();
                assertTrue(statuses.stream().allMatch(status -> status == 200), "every request through the change: " + statuses);
                assertEquals("b", get(sluice, "/x").body());

                a.releaseSlow.countDown();
                b.releaseSlow.countDown();
                for (CompletableFuture<HttpResponse<String>> request : slow) {
                    assertEquals(200, request.join().statusCode(), "a request in flight on a removed address finishes");
                }
                assertEquals(List.of(server(b)), sluice.server().upstreamStats().stream().map(UpstreamStats::server).toList());
            }
        }
    }

    @Test
    void aHostNameNotFollowedIsResolvedWhenAConnectionOpens() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0)) {
            dns.answer("app.test", "127.0.0.2");
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(), "resolve-interval = 0s"))) {
                assertEquals(0, dns.queries.get(), "nothing is looked up before a connection needs it");
                assertEquals("a", get(sluice, "/x").body());
                assertTrue(dns.queries.get() > 0, "the connecting loop's DNS resolver asked the configured name server");
            }
        }
    }

    @Test
    void aShortTtlIsLookedUpAgainBeforeTheResolveInterval() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0);
             NamedBackend b = backendAt("b", "127.0.0.3", a.port())) {
            dns.answer("app.test", "127.0.0.2");
            dns.ttlSeconds = 1;
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(), "resolve-interval = 1h"))) {
                Eventually.await("app.test to resolve", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a))));
                dns.answer("app.test", "127.0.0.3");
                Eventually.await("the answer to be followed at its TTL", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(b))));
                assertEquals("b", get(sluice, "/x").body());
            }
        }
    }

    @Test
    void aReloadThatChangesTheGroupResolvesItsNamesAgain() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0);
             NamedBackend b = backendAt("b", "127.0.0.3", a.port())) {
            dns.answer("app.test", "127.0.0.2", "127.0.0.3");
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(), "resolve-interval = 1s"))) {
                Eventually.await("both addresses to be servers", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a), server(b))));
                String heavier = config(dns, a.port(), "resolve-interval = 1s").replace("app.test:" + a.port() + "\" }",
                        "app.test:" + a.port() + "\", weight = 3 }");
                assertTrue(sluice.server().apply(ConfigLoader.parse(heavier, Path.of("."))).success());
                Eventually.await("the new group's servers, with the new weight", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a), server(b)))
                        && sluice.server().upstreamStates().get("app").stream().allMatch(view -> view.weight() == 3));
                assertEquals(200, get(sluice, "/x").statusCode());
            }
        }
    }

    @Test
    void aFailedLookUpKeepsTheAddressesAndANameWithoutAddressIs503() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0)) {
            dns.answer("app.test", "127.0.0.2");
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(), "resolve-interval = 1s, retries = 0"))) {
                Eventually.await("app.test to resolve", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a))));

                dns.servFail = true;
                int queries = dns.queries.get();
                Eventually.await("look-ups that fail", Duration.ofSeconds(15), () -> dns.queries.get() >= queries + 4);
                assertEquals(List.of(server(a)), servers(sluice), "the last known address stays");
                assertEquals("a", get(sluice, "/x").body());

                dns.servFail = false;
                dns.forget("app.test");
                Eventually.await("the name without address to contribute no server", Duration.ofSeconds(15), () -> servers(sluice).isEmpty());
                assertEquals(503, get(sluice, "/x").statusCode());

                dns.answer("app.test", "127.0.0.2");
                Eventually.await("the address to come back", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a))));
                assertEquals("a", get(sluice, "/x").body());
            }
        }
    }

    @Test
    void everyResolvedAddressIsHealthChecked() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); NamedBackend a = backendAt("a", "127.0.0.2", 0);
             NamedBackend b = backendAt("b", "127.0.0.3", a.port())) {
            dns.answer("app.test", "127.0.0.2", "127.0.0.3");
            try (RunningSluice sluice = RunningSluice.start(config(dns, a.port(),
                    "resolve-interval = 1s, health-check { path = \"/healthz\", interval = 200ms, timeout = 500ms, rise = 1, fall = 1 }"))) {
                Eventually.await("both addresses to be servers", Duration.ofSeconds(15), () -> servers(sluice).equals(List.of(server(a), server(b))));
                Eventually.await("checks of both addresses", Duration.ofSeconds(15), () -> a.healthChecks.get() > 0 && b.healthChecks.get() > 0);

                b.healthStatus.set(503);
                Eventually.await("b to be marked down", Duration.ofSeconds(15), () -> sluice.server().upstreamStates().get("app").get(1).state().equals("down"));
                for (int i = 0; i < 10; i++) {
                    assertEquals("a", get(sluice, "/x").body());
                }
                b.healthStatus.set(200);
                Eventually.await("b to be up again", Duration.ofSeconds(15), () -> sluice.server().upstreamStates().get("app").get(1).state().equals("up"));
            }
        }
    }
}
