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

    /**
     * Waits until the server lets the client open one more request stream. QUIC raises the client's limit
     * (MAX_STREAMS) lazily, once streams it has forgotten are needed, so a client that has used up its limit
     * waits for the raise; a stream the server never forgets is a raise that never comes.
     */
    private static void awaitStreamPlace(Http3TestClient client, String when) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (client.requestStreamsLeft() == 0) {
            assertTrue(System.nanoTime() < deadline, "no place for a new request stream " + when
                    + ", after " + WAIT_SECONDS + " s: streams Sluice ended in earlier rounds are still counted");
            Thread.sleep(20);
        }
    }

    /** Rounds of as many streams as the connection may have, each reset by Sluice after header-timeout. */
    private static void streamsResetAfterTheHeaderTimeoutGiveTheirPlacesBack(boolean clientCancels) throws Exception {
        try (Http3TestClient client = client()) {
            for (int round = 1; round <= 3; round++) {
                List<java.util.concurrent.CompletableFuture<Object>> ends = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    awaitStreamPlace(client, "in round " + round);
                    ends.add(client.openStreamWithoutRequest(clientCancels));
                }
                for (java.util.concurrent.CompletableFuture<Object> end : ends) {
                    end.get(WAIT_SECONDS, TimeUnit.SECONDS);
                }
            }
            awaitStreamPlace(client, "after the rounds");
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

    /**
     * Requests answered while their body is still on its way (the {@code return} action does not read it): the
     * client finishes its side once it has the response, and Sluice must have read to that end before it lets go.
     */
    @Test
    void requestsAnsweredBeforeTheirBodyEndedGiveTheirPlacesBack() throws Exception {
        try (Http3TestClient client = client()) {
            for (int round = 1; round <= 20; round++) {
                List<Http3TestClient.UnreadResponse> answered = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    awaitStreamPlace(client, "in round " + round);
                    answered.add(client.sendWithoutReading("POST", "/hello", new byte[100], 100));
                }
                for (Http3TestClient.UnreadResponse response : answered) {
                    Http3TestClient.Ending ending = response.readOn().get(WAIT_SECONDS, TimeUnit.SECONDS);
                    assertEquals(new Http3TestClient.Ending(200, 5, true), ending);
                }
            }
            awaitStreamPlace(client, "after the rounds");
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        }
    }
}
