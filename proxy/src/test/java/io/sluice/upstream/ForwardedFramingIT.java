package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What reaches the upstream: each request framed exactly one way, and nothing that followed a request
 * Sluice refused on the same client connection.
 */
class ForwardedFramingIT {
    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/echo", (request, socket, out) -> {
            int length = readBody(request.head(), socket.getInputStream());
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: " + String.valueOf(length).length() + "\r\n\r\n" + length);
            return true;
        });
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), "",
                "limits { max-body-size = 1k, body-timeout = 1s }"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    @BeforeEach
    void forget() {
        backend.received.clear();
    }

    /** Reads the body the head announces the way an upstream would; returns its length. */
    private static int readBody(String head, InputStream in) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
            int total = 0;
            while (true) {
                int size = Integer.parseInt(readLine(in).split(";", 2)[0].trim(), 16);
                if (size == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailer fields
                    }
                    return total;
                }
                total += in.readNBytes(size).length;
                readLine(in);
            }
        }
        int at = lower.indexOf("\r\ncontent-length: ");
        if (at < 0) {
            return 0;
        }
        int end = lower.indexOf("\r\n", at + 2);
        return in.readNBytes(Integer.parseInt(lower.substring(at + 18, end).trim())).length;
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static String forwardedHead() {
        assertEquals(1, backend.received.size(), "requests forwarded: " + backend.received);
        return backend.received.get(0).head().toLowerCase(Locale.ROOT);
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    @Test
    void chunkedRequestBodyGoesUpChunkedWithoutLength() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            assertEquals("11", raw.readResponse().bodyText());
        }
        String head = forwardedHead();
        assertEquals(1, count(head, "\r\ntransfer-encoding: chunked\r\n"), head);
        assertFalse(head.contains("content-length"), head);
    }

    @Test
    void lengthFramedRequestBodyGoesUpWithOneLengthOnly() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
            assertEquals("11", raw.readResponse().bodyText());
        }
        String head = forwardedHead();
        assertEquals(1, count(head, "\r\ncontent-length: 11\r\n"), head);
        assertFalse(head.contains("transfer-encoding"), head);
    }

    @Test
    void bodylessRequestCarriesNoChunkedFraming() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("0", raw.readResponse().bodyText());
        }
        assertFalse(forwardedHead().contains("transfer-encoding"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    })
    void ambiguousRequestAndWhatFollowsItAreNeverForwarded(String ambiguous) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send(ambiguous + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(400, raw.readResponse().status());
            assertTrue(raw.isClosedByServer(), "the connection closes after an ambiguous request");
        }
        assertServedThenNothingSmuggled();
    }

    @Test
    void bodyOverMaxBodySizeAndRequestsHiddenInItAreNeverForwarded() throws Exception {
        String hidden = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n".repeat(60);
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + hidden.length() + "\r\n\r\n" + hidden);
            assertEquals(413, raw.readResponse().status());
            String rest = raw.readUntilClosed();
            assertFalse(rest.contains("HTTP/1.1"), "no response to anything inside the body: " + rest);
        }
        assertServedThenNothingSmuggled();
    }

    @Test
    void chunkedBodyGrowingOverMaxBodySizeAndWhatFollowsAreNeverForwarded() throws Exception {
        String hidden = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n".repeat(60);
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(hidden.length()) + "\r\n" + hidden + "\r\n0\r\n\r\n"
                    + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 413 "), all);
            assertEquals(1, count(all, "HTTP/1.1 "), "one answer, then a close: " + all);
        }
        assertFalse(backend.received.stream().anyMatch(request -> request.path().equals("/smuggled")),
                "smuggled: " + backend.received);
        assertServedThenNothingSmuggled();
    }

    @Test
    void stalledProxiedBodyIsCutByBodyTimeout() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            long start = System.nanoTime();
            RawHttp.Response response = raw.readResponse();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(408, response.status(), response.head());
            assertTrue(millis >= 900, "answered after " + millis + "ms");
            assertTrue(raw.isClosedByServer(), "a cut body leaves the connection unusable");
        }
        assertServedThenNothingSmuggled();
    }

    private static void assertServedThenNothingSmuggled() throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, raw.readResponse().status());
        }
        Thread.sleep(100);
        assertFalse(backend.received.stream().anyMatch(request -> request.path().equals("/smuggled")),
                "smuggled: " + backend.received);
    }
}
