package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamPoolIT {

    private static void getHello(RunningSluice sluice, int times) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            for (int i = 0; i < times; i++) {
                RawHttp.Response response = raw.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals(200, response.status());
                assertEquals("hello", response.bodyText());
            }
        }
    }

    private static UpstreamStats stats(RunningSluice sluice) {
        return sluice.server().upstreamStats().get(0);
    }

    @Test
    void maxRequestsRetiresConnections() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                     + ", keepalive { max-requests = 2 }", ""))) {
            getHello(sluice, 10);
            assertEquals(5, backend.connections.get(), "one connection per two requests");
            assertEquals(10, stats(sluice).requests());
        }
    }

    @Test
    void idleConnectionsCloseAfterIdleTimeout() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                     + ", keepalive { idle-timeout = 200ms }", ""))) {
            getHello(sluice, 3);
            assertEquals(1, stats(sluice).idleConnections());
            long deadline = System.currentTimeMillis() + 3000;
            while (stats(sluice).idleConnections() > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, stats(sluice).idleConnections());
            getHello(sluice, 1);
            assertEquals(2, backend.connections.get(), "a new connection after the idle one was closed");
        }
    }

    @Test
    void maxIdleZeroDisablesReuse() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                     + ", keepalive { max-idle = 0 }", ""))) {
            getHello(sluice, 4);
            assertEquals(4, backend.connections.get());
            assertEquals(0, stats(sluice).idleConnections());
        }
    }

    @Test
    void connectionsTheBackendClosedAreNotUsed() throws Exception {
        TestBackend backend = new TestBackend();
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", keepalive { idle-timeout = 60s }, retries = 0", ""))) {
            getHello(sluice, 2);
            assertEquals(1, stats(sluice).idleConnections());
            int port = backend.port();
            backend.close();
            try (TestBackend restarted = TestBackend.onPort(port)) {
                // the pooled connection is dead: noticed while idle, or failing on take and retried fresh
                getHello(sluice, 2);
                assertEquals(1, restarted.connections.get());
            }
        }
    }

    @Test
    void reloadKeepsThePoolsOfUnchangedUpstreamsAndServesNewOnes() throws Exception {
        try (TestBackend backend = new TestBackend(); TestBackend second = new TestBackend()) {
            String base = ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), "");
            try (RunningSluice sluice = RunningSluice.start(base)) {
                getHello(sluice, 2);
                String withSecond = """
                        sluice {
                          workers = 2
                          upstreams {
                            app { %s }
                            second { %s }
                          }
                          servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                            { match = "/second/", proxy { upstream = second } }
                            { match = "/", proxy { upstream = app } }
                          ] } ]
                        }""".formatted(ProxyConfigs.servers(backend.address()), ProxyConfigs.servers(second.address()));
                assertTrue(sluice.server().apply(io.sluice.config.ConfigLoader.parse(withSecond,
                        java.nio.file.Path.of("."))).success());
                getHello(sluice, 2);
                assertEquals(4, stats(sluice).requests(), "the unchanged upstream kept its pools: " + stats(sluice));
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    assertEquals(200, raw.send("GET /second/x HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                }
                assertEquals(1, second.connections.get());
                assertTrue(sluice.server().apply(io.sluice.config.ConfigLoader.parse(base, java.nio.file.Path.of(".")))
                        .success());
                assertEquals(List.of("app"), sluice.server().upstreamStats().stream().map(UpstreamStats::upstream).toList(),
                        "an upstream the configuration dropped leaves the stats");
            }
        }
    }

    @Test
    void connectionsBeyondMaxIdleAreTrimmedAfterAMoment() throws Exception {
        try (TestBackend backend = new TestBackend();
             RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                     + ", keepalive { max-idle = 1 }", "", "workers = 1"))) {
            List<RawHttp> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawHttp client = new RawHttp(sluice.port());
                    clients.add(client);
                    assertEquals(200, client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                }
                backend.releaseSlow.countDown();
                assertTrue(waitFor(() -> stats(sluice).idleConnections() == 4, 5000),
                        "all four finished responses return to the pool at once: " + stats(sluice));
                assertTrue(waitFor(() -> stats(sluice).idleConnections() == 1, 5000),
                        "the excess over max-idle is closed after a moment: " + stats(sluice));
            } finally {
                for (RawHttp client : clients) {
                    client.close();
                }
            }
        }
    }

    private static boolean waitFor(BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
