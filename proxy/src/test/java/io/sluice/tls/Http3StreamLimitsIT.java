package io.sluice.tls;

import io.sluice.testing.Http3TestClient;
import io.sluice.testing.OpenDescriptors;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Limits of an HTTP/3 request stream: {@code limits.min-send-rate} for a client that takes a response a
 * trickle at a time (it grants the stream's flow-control credit in small steps), and what a stream that
 * Sluice ends early gives back: the client's place for a stream (MAX_STREAMS, RFC 9000 §4.6) once Sluice has
 * reset or answered a stream whose request had not ended. The clocks are set to a second; each check waits at
 * most 10–15 s.
 */
class Http3StreamLimitsIT {
    private static final int STREAMS = 4;
    private static final long WAIT_SECONDS = 10;
    private static final long MIN_SEND_RATE = 256 * 1024;
    private static final int BIG = 32 << 20;
    private static final int MEDIUM = 4 << 20;
    /** The stream window of a client that reads a little at a time: what it may be sent before it reads again. */
    private static final int SMALL_WINDOW = 16 * 1024;

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3-limits", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path root = Files.createDirectories(directory.resolve("www"));
        Files.write(root.resolve("big.bin"), new byte[BIG]);
        Files.write(root.resolve("medium.bin"), new byte[MEDIUM]);
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { header-timeout = 1s, body-timeout = 1s, keepalive-timeout = 30s, send-timeout = 120s
                           min-send-rate = %d }
                  http3 { max-concurrent-streams = %d, idle-timeout = 30s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [
                      { match = "/files/", static { root = "%s", open-file-cache { max = 0 } } }
                      { match = "= /hello", return { status = 200, body = "hello" } }
                    ] } ]
                }""".formatted(MIN_SEND_RATE, STREAMS, leaf.chain(), leaf.key(), root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static Http3TestClient client() throws Exception {
        return Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                sluice.port("udp/127.0.0.1:0"));
    }

    private static Http3TestClient clientWithSmallWindow() throws Exception {
        return Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                sluice.port("udp/127.0.0.1:0"), SMALL_WINDOW);
    }

    /** How many descriptors of this process (Sluice runs in it) are open on the big file. */
    private static long openBigFileHandles() throws IOException {
        return OpenDescriptors.on(directory.resolve("www").resolve("big.bin"));
    }

    /**
     * Reads {@code response} a window at a time every {@code pauseMillis} until it ends or {@code seconds} pass;
     * returns the rate it read at, in bytes per second.
     */
    private static double readInSteps(Http3TestClient.UnreadResponse response, long pauseMillis, long seconds)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        while (!response.ending().isDone() && System.nanoTime() < deadline) {
            response.readSome();
            Thread.sleep(pauseMillis);
        }
        return response.bodyBytes() * 1e9 / (System.nanoTime() - start);
    }

    @Test
    void aClientThatTakesAResponseATrickleAtATimeIsResetAfterTheMinSendRateWindow() throws Exception {
        try (Http3TestClient client = clientWithSmallWindow()) {
            Http3TestClient.UnreadResponse trickle = client.sendWithoutReading("GET", "/files/big.bin", null, 0);
            double rate = readInSteps(trickle, 250, 15);
            assertTrue(rate < MIN_SEND_RATE, "the client read faster than the minimum: " + rate + " B/s");
            assertTrue(trickle.ending().isDone(), "a client reading " + (long) rate + " B/s still holds its stream "
                    + "15 s on; min-send-rate is " + MIN_SEND_RATE + " B/s over 5 s windows, send-timeout 120 s");
            Http3TestClient.Ending ending = trickle.ending().get();
            assertFalse(ending.complete(), "the cut response ended like a whole one: " + ending);
            assertTrue(ending.bodyBytes() < BIG, "got all of it: " + ending);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (openBigFileHandles() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, openBigFileHandles(), "the file is still open after the stream was reset");
            assertEquals(200, client.get("/hello").status(), "the connection serves on");
        }
    }

    @Test
    void aClientThatTakesAResponseInStepsAboveTheMinimumGetsAllOfIt() throws Exception {
        try (Http3TestClient client = clientWithSmallWindow()) {
            Http3TestClient.UnreadResponse steady = client.sendWithoutReading("GET", "/files/medium.bin", null, 0);
            double rate = readInSteps(steady, 10, 30);
            assertEquals(new Http3TestClient.Ending(200, MEDIUM, true), steady.ending().getNow(null),
                    "read in steps at " + (long) rate + " B/s, min-send-rate " + MIN_SEND_RATE + " B/s");
        }
    }

    @Test
    void aClientReadingAtFullSpeedGetsAllOfAFile() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.Response response = client.get("/files/medium.bin");
            assertEquals(200, response.status());
            assertEquals(MEDIUM, response.body().length);
        }
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
                List<CompletableFuture<Object>> ends = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    awaitStreamPlace(client, "in round " + round);
                    ends.add(client.openStreamWithoutRequest(clientCancels));
                }
                for (CompletableFuture<Object> end : ends) {
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
    void streamsResetBeforeTheirRequestGiveTheirPlacesBackToAClientThatLeavesItsSideOpen() throws Exception {
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
