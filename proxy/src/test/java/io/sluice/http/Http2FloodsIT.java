package io.sluice.http;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.testing.RawHttp2;
import io.sluice.testing.RawHttp2.Frame;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static io.sluice.testing.RawHttp2.CONTINUATION;
import static io.sluice.testing.RawHttp2.DATA;
import static io.sluice.testing.RawHttp2.END_HEADERS;
import static io.sluice.testing.RawHttp2.END_STREAM;
import static io.sluice.testing.RawHttp2.ENHANCE_YOUR_CALM;
import static io.sluice.testing.RawHttp2.GOAWAY;
import static io.sluice.testing.RawHttp2.HEADERS;
import static io.sluice.testing.RawHttp2.PING;
import static io.sluice.testing.RawHttp2.RST_STREAM;
import static io.sluice.testing.RawHttp2.SETTINGS;
import static io.sluice.testing.RawHttp2.WINDOW_UPDATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/2 floods a public server meets, each from a raw client over h2c: every one must end the
 * offending connection after bounded work (far fewer bytes than the attacker offers), and the next client
 * must be served at once, and the reason is logged. Rapid reset is in {@code Http2IT}.
 */
class Http2FloodsIT {
    /** What each flood offers at most; a server without the limit under test would take all of it. */
    private static final long OFFERED_BYTES = 64L * 1024 * 1024;

    static final ListAppender<ILoggingEvent> goAwayLines = new ListAppender<>();
    static RunningSluice sluice;
    static int port;

    @BeforeAll
    static void start() {
        goAwayLines.start();
        goAwayLogger().addAppender(goAwayLines);
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  http2 { max-resets = 100, reset-window = 30s, max-queued-control-frames = 1000 }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ]
                    locations = [ { match = "/", return { status = 200, body = "still here" } } ] } ]
                }""");
        port = sluice.port();
    }

    @AfterAll
    static void stop() {
        sluice.close();
        goAwayLogger().detachAppender(goAwayLines);
    }

    @BeforeEach
    void forgetEarlierLines() {
        synchronized (goAwayLines) {
            goAwayLines.list.clear();
        }
    }

    @Test
    void endlessContinuationFramesEndTheConnectionNearTheHeaderLimit() throws Exception {
        byte[] padding = paddingFields(16_000);
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            client.write(HEADERS, 0, 1, RawHttp2.getRequest("/continuation"));
            long frames = 0;
            while (client.bytesWritten() < OFFERED_BYTES && client.tryWrite(CONTINUATION, 0, 1, padding)) {
                frames++;
            }
            assertGoAwayBeforeTheEnd(client, frames * padding.length);
        }
        assertLogged("Header size exceeded", "20480");
        assertServed();
    }

    @Test
    void emptyContinuationFramesEndTheConnection() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            client.write(HEADERS, 0, 1, RawHttp2.getRequest("/empty-continuation"));
            while (client.bytesWritten() < OFFERED_BYTES && client.tryWrite(CONTINUATION, 0, 1, new byte[0])) {
                // nothing: each frame adds no header bytes, only work
            }
            assertGoAwayBeforeTheEnd(client, client.bytesWritten());
        }
        assertLogged("ENHANCE_YOUR_CALM", "continuation");
        assertServed();
    }

    @Test
    void anHpackBombIsAnswered431AndTheConnectionGoesOn() throws Exception {
        // one 4,000-byte field enters the dynamic table, then 4,000 one-byte references to it:
        // 8 KB on the wire that would decode to 16 MB of header fields
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.writeBytes(RawHttp2.getRequest("/bomb"));
        block.write(0x40);
        RawHttp2.literal(block, "x-bomb");
        block.write(0x7f);
        int length = 4000 - 127;
        while (length >= 128) {
            block.write((length & 0x7f) | 0x80);
            length >>>= 7;
        }
        block.write(length);
        block.writeBytes("a".repeat(4000).getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 4000; i++) {
            block.write(0x80 | 62);
        }
        DefaultHttp2HeadersDecoder responseDecoder = new DefaultHttp2HeadersDecoder(true);
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            client.write(HEADERS, END_HEADERS | END_STREAM, 1, block.toByteArray());
            client.flush();
            Frame answer = firstAnswer(client, 1);
            assertTrue(answer != null && answer.type() == HEADERS, "a response, not " + describe(answer));
            assertEquals("431", responseHeaders(responseDecoder, answer).status().toString());

            client.write(HEADERS, END_HEADERS | END_STREAM, 3, RawHttp2.getRequest("/after-the-bomb"));
            client.flush();
            Frame next = firstAnswer(client, 3);
            assertTrue(next != null && next.type() == HEADERS, "the next stream is answered, not " + describe(next));
            assertEquals("200", responseHeaders(responseDecoder, next).status().toString());
        }
        assertServed();
    }

    /** Every PING and SETTINGS frame asks for an acknowledgement, which queues while the client does not read. */
    @ParameterizedTest
    @ValueSource(ints = {PING, SETTINGS})
    void controlFramesFromAClientThatDoesNotReadEndTheConnection(int type) throws Exception {
        byte[] payload = new byte[type == PING ? 8 : 0];
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            long frames = 0;
            while (client.bytesWritten() < OFFERED_BYTES && client.tryWrite(type, 0, 0, payload)) {
                frames++;
            }
            assertTrue(client.bytesWritten() < OFFERED_BYTES,
                    "the server took all " + frames + " frames of type " + type + " without the client reading");
            assertTrue(client.closesWithinTimeout(), "the connection is closed");
        }
        assertLogged("ENHANCE_YOUR_CALM", "control frames");
        assertServed();
    }

    @Test
    void emptyDataFramesEndTheConnection() throws Exception {
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            client.write(HEADERS, END_HEADERS, 1, RawHttp2.postRequest("/empty-data"));
            for (int i = 0; i < 100; i++) {
                client.tryWrite(DATA, 0, 1, new byte[0]);
            }
            client.flush();
            assertEquals(ENHANCE_YOUR_CALM, client.readGoAwayCode());
            assertTrue(client.closesWithinTimeout(), "the connection is closed after its GOAWAY");
        }
        assertLogged("ENHANCE_YOUR_CALM", "empty data frames");
        assertServed();
    }

    /** MadeYouReset (CVE-2025-8671): stream errors the client provokes count against the reset limit. */
    @Test
    void resetsTheClientProvokesEndTheConnection() throws Exception {
        byte[] zeroIncrement = new byte[4];
        try (RawHttp2 client = new RawHttp2("127.0.0.1", port)) {
            for (int stream = 1; stream < 2 * 5000 && client.bytesWritten() < OFFERED_BYTES; stream += 2) {
                if (!client.tryWrite(HEADERS, END_HEADERS, stream, RawHttp2.postRequest("/provoked"))
                        || !client.tryWrite(WINDOW_UPDATE, 0, stream, zeroIncrement)) {
                    break;
                }
            }
            try {
                client.flush();
            } catch (IOException closedByServer) {
                // the server may have closed while the last frames were buffered
            }
            assertEquals(ENHANCE_YOUR_CALM, client.readGoAwayCode());
        }
        assertLogged("ENHANCE_YOUR_CALM", "RST frames");
        assertServed();
    }

    /** Fields "x-pad-N: <value>" as literals without indexing, about {@code bytes} long in all. */
    private static byte[] paddingFields(int bytes) {
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        for (int n = 0; fields.size() < bytes; n++) {
            fields.write(0x00);
            RawHttp2.literal(fields, "x-pad-" + n);
            RawHttp2.literal(fields, "p".repeat(80));
        }
        return fields.toByteArray();
    }

    private static void assertGoAwayBeforeTheEnd(RawHttp2 client, long offeredFrameBytes) throws IOException {
        assertTrue(client.bytesWritten() < OFFERED_BYTES,
                "the server read all " + offeredFrameBytes + " bytes of the flood without ending the connection");
        int code = client.readGoAwayCode();
        assertNotEquals(0, code, "GOAWAY names an error");
    }

    /** The first HEADERS or RST_STREAM for {@code stream}, or GOAWAY, or null if the server just closed. */
    private static Frame firstAnswer(RawHttp2 client, int stream) throws IOException {
        for (Frame frame = client.read(); frame != null; frame = client.read()) {
            if (frame.type() == GOAWAY || (frame.stream() == stream && (frame.type() == HEADERS || frame.type() == RST_STREAM))) {
                return frame;
            }
        }
        return null;
    }

    /** Decodes a HEADERS frame with the connection's one decoder: HPACK state runs across its frames in order. */
    private static Http2Headers responseHeaders(DefaultHttp2HeadersDecoder responseDecoder, Frame headers)
            throws Http2Exception {
        ByteBuf block = Unpooled.wrappedBuffer(headers.payload());
        try {
            return responseDecoder.decodeHeaders(headers.stream(), block);
        } finally {
            block.release();
        }
    }

    private static String describe(Frame frame) {
        return frame == null ? "closed" : "frame type " + frame.type() + " on stream " + frame.stream();
    }

    private static Logger goAwayLogger() {
        return (Logger) LoggerFactory.getLogger(Http2GoAwayLog.class);
    }

    /** Waits (a little: the line is written on the connection's loop) for a GOAWAY line with all fragments. */
    private static void assertLogged(String... fragments) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<String> lines;
        do {
            synchronized (goAwayLines) {
                lines = goAwayLines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            }
            if (lines.stream().anyMatch(line -> containsAll(line, fragments))) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no GOAWAY line with " + List.of(fragments) + " in " + lines);
    }

    private static boolean containsAll(String line, String... fragments) {
        for (String fragment : fragments) {
            if (!line.toLowerCase().contains(fragment.toLowerCase())) {
                return false;
            }
        }
        return true;
    }

    private static void assertServed() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/next"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("still here", response.body());
    }
}
