package io.sluice.http;

import io.sluice.testing.RawHttp2;
import io.sluice.testing.RawHttp2.Frame;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static io.sluice.testing.RawHttp2.END_HEADERS;
import static io.sluice.testing.RawHttp2.END_STREAM;
import static io.sluice.testing.RawHttp2.GOAWAY;
import static io.sluice.testing.RawHttp2.HEADERS;
import static io.sluice.testing.RawHttp2.RST_STREAM;
import static io.sluice.testing.RawHttp2.SETTINGS;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that asks for large files on many streams and never opens its flow-control window holds an open
 * file and a response per stream. {@code send-timeout} must end every such stream, whether the window was
 * zero from the start or ran out on the way, as it ends an HTTP/1.1 connection that stops reading.
 */
class Http2SlowReaderIT {
    private static final int STREAMS = 40;

    @TempDir
    static Path root;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws IOException {
        byte[] file = new byte[2 * 1024 * 1024];
        new Random(7).nextBytes(file);
        Files.write(root.resolve("big.bin"), file);
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 1s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ]
                    locations = [ { match = "/", static { root = "%s" } } ] } ]
                }""".formatted(root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    /** {@code initialWindow} 0: nothing can be sent from the start; 65535: the windows run out on the way. */
    @ParameterizedTest
    @ValueSource(ints = {0, 65_535})
    void everyStreamTheClientDoesNotReadEndsAfterTheSendTimeout(int initialWindow) throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            client.write(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(initialWindow).array());
            for (int stream = 1; stream < 2 * STREAMS; stream += 2) {
                client.write(HEADERS, END_HEADERS | END_STREAM, stream, RawHttp2.getRequest("/big.bin"));
            }
            client.flush();
            Set<Integer> reset = new HashSet<>();
            boolean connectionEnded = false;
            try {
                while (reset.size() < STREAMS && !connectionEnded) {
                    Frame frame = client.read();
                    connectionEnded = frame == null || frame.type() == GOAWAY;
                    if (!connectionEnded && frame.type() == RST_STREAM) {
                        reset.add(frame.stream());
                    }
                }
            } catch (SocketTimeoutException stillWaiting) {
                // reported below: streams were left open for the read timeout, far past send-timeout
            }
            assertTrue(connectionEnded || reset.size() == STREAMS,
                    "every stream ends once its send-timeout has passed; reset: " + reset.size() + " of " + STREAMS);
        }
    }
}
