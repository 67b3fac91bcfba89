package io.sluice.http;

import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.sluice.testing.RawHttp2.END_HEADERS;
import static io.sluice.testing.RawHttp2.GOAWAY;
import static io.sluice.testing.RawHttp2.HEADERS;
import static io.sluice.testing.RawHttp2.RST_STREAM;
import static io.sluice.testing.RawHttp2.SETTINGS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A response that closes its connection when it has left (the client asked for {@code Connection: close}, or
 * spoke HTTP/1.0) to a client that stops reading: {@code send-timeout} ends it like any other, so the client
 * cannot hold the connection, its slot and the open file by never reading the end of its last response.
 */
class ClosingSlowReaderIT {
    private static final int SIZE = 32 << 20;

    @TempDir
    static Path root;
    private RunningSluice sluice;

    @BeforeAll
    static void writeFile() throws IOException {
        Files.write(root.resolve("big.bin"), new byte[SIZE]);
    }

    /** A Sluice per test, so that a connection one test leaves open cannot pass for another's. */
    @BeforeEach
    void start() {
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  shutdown-timeout = 1s
                  limits { send-timeout = 1s, max-body-size = 1k }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/generated", return { body = "%s" } }
                    { match = "/", static { root = "%s" } }
                  ] } ]
                }""".formatted("x".repeat(SIZE), root));
    }

    @AfterEach
    void stop() {
        sluice.close();
    }

    /**
     * An HTTP/2 request refused before its body (413: declared length over max-body-size) to a client whose
     * windows are closed: the refusal's body cannot leave, and the stream must still end after send-timeout.
     */
    @Test
    void refusedHttp2StreamOfAClientThatDoesNotReadEndsAfterTheSendTimeout() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            client.write(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(0).array());
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(RawHttp2.postRequest("/big.bin"));
            block.write(0x0f); // literal without indexing, name content-length (static table 28 = 15 + 13)
            block.write(0x0d);
            RawHttp2.literal(block, "1000000");
            client.write(HEADERS, END_HEADERS, 1, block.toByteArray());
            client.flush();
            long start = System.nanoTime();
            boolean ended = false;
            try {
                while (!ended) {
                    RawHttp2.Frame frame = client.read();
                    ended = frame == null || frame.type() == GOAWAY
                            || (frame.type() == RST_STREAM && frame.stream() == 1);
                }
            } catch (SocketTimeoutException stillOpen) {
                // reported below
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(ended && seconds < 5, "the refused stream ended: " + ended + ", after " + seconds + " s");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /big.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "GET /big.bin HTTP/1.0\r\n\r\n",
            "GET /generated HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"})
    void lastResponseToAClientThatStopsReadingEndsAfterTheSendTimeout(String request) throws Exception {
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(16 * 1024);
            stalled.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
            stalled.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (sluice.server().activeConnections() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            while (sluice.server().activeConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, sluice.server().activeConnections(),
                    "the connection of a client that does not read is still open 10 s on");
        }
    }
}
