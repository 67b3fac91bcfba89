package io.sluice.tls;

import io.sluice.testing.Http3TestClient;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an HTTP/3 request stream that Sluice ends early gives back: the client's place for a stream
 * (MAX_STREAMS, RFC 9000 §4.6) once Sluice has reset a stream whose request had not ended. The clocks are set
 * to a second; each check waits at most 10 s.
 */
class Http3StreamLimitsIT {
    private static final int STREAMS = 4;
    private static final long WAIT_SECONDS = 10;

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3-limits", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path root = Files.createDirectories(directory.resolve("www"));
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { header-timeout = 1s, body-timeout = 1s, keepalive-timeout = 30s }
                  http3 { max-concurrent-streams = %d, idle-timeout = 30s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [
                      { match = "/files/", static { root = "%s" } }
                      { match = "= /hello", return { status = 200, body = "hello" } }
                    ] } ]
                }""".formatted(STREAMS, leaf.chain(), leaf.key(), root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static Http3TestClient client() throws Exception {
        return Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                sluice.port("udp/127.0.0.1:0"));
    }

    /** Waits until the client may open {@code expected} request streams again; returns how many it may. */
    private static long streamsLeftWithin(Http3TestClient client, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        long left = client.requestStreamsLeft();
        while (left < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = client.requestStreamsLeft();
        }
        return left;
    }

    /** Rounds of as many streams as the connection may have, each reset by Sluice after header-timeout. */
    private static void streamsResetAfterTheHeaderTimeoutGiveTheirPlacesBack(boolean clientCancels) throws Exception {
        try (Http3TestClient client = client()) {
            for (int round = 1; round <= 3; round++) {
                List<java.util.concurrent.CompletableFuture<Object>> ends = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    ends.add(client.openStreamWithoutRequest(clientCancels));
                }
                for (java.util.concurrent.CompletableFuture<Object> end : ends) {
                    end.get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
                assertEquals(STREAMS, streamsLeftWithin(client, STREAMS), "request streams the client may open "
                        + "after round " + round + " of " + STREAMS + " streams reset by header-timeout");
            }
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        }
    }

    @Test
    void streamsResetBeforeTheirRequestGiveTheirPlacesBackToAClientThatCancelsThem() throws Exception {
        streamsResetAfterTheHeaderTimeoutGiveTheirPlacesBack(true);
    }

    @Test
    void streamsResetBeforeTheirRequestGiveTheirPlacesBackToAClientThatKeepsSending() throws Exception {
        streamsResetAfterTheHeaderTimeoutGiveTheirPlacesBack(false);
    }

    /** Requests whose bodies stop half-way, answered (408) or reset after body-timeout while the client is mid-body. */
    @Test
    void requestsWhoseBodyStopsHalfWayGiveTheirPlacesBack() throws Exception {
        try (Http3TestClient client = client()) {
            for (int round = 1; round <= 2; round++) {
                List<Http3TestClient.UnreadResponse> stalled = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    stalled.add(client.sendWithoutReading("POST", "/hello", new byte[100], 1000));
                }
                for (Http3TestClient.UnreadResponse response : stalled) {
                    Http3TestClient.Ending ending = response.readOn().get(WAIT_SECONDS, TimeUnit.SECONDS);
                    assertTrue(ending.status() == 408 || !ending.complete(), "408 or a reset: " + ending);
                }
                assertEquals(STREAMS, streamsLeftWithin(client, STREAMS), "request streams the client may open "
                        + "after round " + round + " of " + STREAMS + " bodies cut by body-timeout");
            }
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        }
    }
}
