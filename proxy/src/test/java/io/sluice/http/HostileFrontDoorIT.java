package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.sluice.testing.RawHttp2.END_HEADERS;
import static io.sluice.testing.RawHttp2.GOAWAY;
import static io.sluice.testing.RawHttp2.HEADERS;
import static io.sluice.testing.RawHttp2.RST_STREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that try to make Sluice hold more than a bounded amount per connection, or hold a connection or a
 * stream past its clocks: a flood of pipelined requests from a client that reads no response, a head of very
 * many tiny header lines, an HTTP/2 stream that never ends its request after its response has gone.
 */
class HostileFrontDoorIT {
    private static final long BOUND = 32L << 20;

    @TempDir
    static Path root;
    /** HTTP/1.1 on 127.0.0.1 (a listener that also takes HTTP/2 cuts a pipelining flood off early), h2c on 127.0.0.2. */
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws IOException {
        Files.write(root.resolve("page.html"), "<p>hello</p>".repeat(100).getBytes(StandardCharsets.US_ASCII));
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 1s, body-timeout = 1s }
                  servers = [
                    { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", static { root = "%1$s" } } ] }
                    { listen = [ { address = "127.0.0.2:0", http2 = true } ],
                      locations = [ { match = "/", static { root = "%1$s" } } ] }
                  ]
                }""".formatted(root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @Test
    void pipelinedRequestsFromAClientThatReadsNothingAreHeldBackAndTheConnectionEnds() throws Exception {
        byte[] request = "GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] batch = new byte[request.length * 1000];
        for (int i = 0; i < 1000; i++) {
            System.arraycopy(request, 0, batch, i * request.length, request.length);
        }
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024);
            client.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = client.getOutputStream();
                    while (written.get() < 4 * BOUND) {
                        out.write(batch);
                        written.addAndGet(batch.length);
                    }
                } catch (IOException closedBySluice) {
                    // the end the test waits for
                }
            }, "pipelining-writer");
            writer.setDaemon(true);
            writer.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sluice.server().activeConnections() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            while (sluice.server().activeConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(written.get() < BOUND, "Sluice took " + written + " bytes of requests it could not answer");
            assertEquals(0, sluice.server().activeConnections(),
                    "the connection of a client that reads no response is still open 10 s on");
        }
    }

    @Test
    void aHeadOfVeryManyTinyHeaderLinesIs431() throws IOException {
        String lines = "a:\r\n".repeat(10_000);
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET /page.html HTTP/1.1\r\nHost: a\r\n" + lines + "\r\n")
                    .readResponse();
            assertEquals(431, response.status());
        }
    }

    /** The client sends HEADERS without END_STREAM and nothing after: the stream ends with body-timeout. */
    @Test
    void anHttp2StreamLeftHalfOpenAfterItsResponseIsReset() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.2", sluice.port("127.0.0.2:0"))) {
            client.write(HEADERS, END_HEADERS, 1, RawHttp2.getRequest("/page.html"));
            client.flush();
            long start = System.nanoTime();
            boolean reset = false;
            try {
                RawHttp2.Frame frame = client.read();
                while (frame != null && frame.type() != GOAWAY && !reset) {
                    reset = frame.type() == RST_STREAM && frame.stream() == 1;
                    frame = reset ? frame : client.read();
                }
            } catch (SocketTimeoutException stillOpen) {
                // reported below
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(reset && seconds < 5, "the half-open stream ended: " + reset + ", after " + seconds + " s");
        }
    }
}
