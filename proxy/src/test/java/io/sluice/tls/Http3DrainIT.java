package io.sluice.tls;

import io.sluice.testing.Http3TestClient;
import io.sluice.testing.RunningSluice;
import io.sluice.upstream.TestBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A graceful stop drains HTTP/3 connections: idle ones close at once, a request in flight finishes first. */
class Http3DrainIT {
    @TempDir
    Path directory;

    @Test
    void shutdownClosesIdleConnectionsAndFinishesRequestsInFlight() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (TestBackend backend = new TestBackend()) {
            RunningSluice sluice = RunningSluice.start("""
                    sluice {
                      shutdown-timeout = 20s
                      upstreams { app { servers = [ { address = "%s" } ] } }
                      servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                        tls { certificates = [ { cert = "%s", key = "%s" } ] }
                        locations = [
                          { match = "= /slow", proxy { upstream = app } }
                          { match = "/", return { status = 200, body = "ok" } }
                        ] } ]
                    }""".formatted(backend.address(), leaf.chain(), leaf.key()));
            int port = sluice.port("udp/127.0.0.1:0");
            Path ca = certificates.caCertificate();
            try (Http3TestClient idle = Http3TestClient.connect(ca.toFile(), "localhost", port);
                 Http3TestClient busy = Http3TestClient.connect(ca.toFile(), "localhost", port)) {
                assertEquals(200, idle.get("/").status());
                CompletableFuture<Http3TestClient.Response> slow = CompletableFuture.supplyAsync(() -> {
                    try {
                        return busy.get("/slow");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertNotNull(backend.requests.poll(10, TimeUnit.SECONDS), "the slow request reached the backend");

                long started = System.nanoTime();
                CompletableFuture<Void> shutdown = CompletableFuture.runAsync(sluice.server()::shutdown);
                assertTrue(idle.closedByServer(5, TimeUnit.SECONDS), "an idle HTTP/3 connection closes at once");
                assertFalse(shutdown.isDone(), "shutdown waits for the request in flight");
                try (Http3TestClient late = Http3TestClient.connect(ca.toFile(), "localhost", port)) {
                    assertTrue(late.closedByServer(5, TimeUnit.SECONDS), "a connection made while draining is sent away");
                }

                backend.releaseSlow.countDown();
                Http3TestClient.Response response = slow.get(10, TimeUnit.SECONDS);
                assertEquals(200, response.status());
                assertEquals("first\nlast\n", new String(response.body(), StandardCharsets.UTF_8));
                assertTrue(busy.closedByServer(5, TimeUnit.SECONDS), "the drained connection closes after its request");
                shutdown.get(10, TimeUnit.SECONDS);
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(15),
                        "drained before shutdown-timeout: every request stream was seen to end");
            } finally {
                sluice.close();
            }
        }
    }
}
