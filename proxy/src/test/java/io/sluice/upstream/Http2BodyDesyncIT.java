package io.sluice.upstream;

import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2 request bodies whose DATA disagree with their declared {@code content-length} (the H2.CL desync):
 * translated to HTTP/1.1 with that length, the surplus would be read upstream as the next request, and a
 * shortfall would make the upstream read the next request on the connection as the rest of this body.
 * RFC 9113 §8.1.1 makes such a request malformed: it must end as a stream error, and no byte beyond the
 * declared length, nor the next request, may reach the upstream as part of a request it did not send.
 */
class Http2BodyDesyncIT {
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/upload", (request, socket, out) -> {
            byte[] body = readBody(request.head(), socket.getInputStream());
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: " + Integer.toString(body.length).length()
                    + "\r\n\r\n" + body.length);
            return true;
        });
        // one loop: every stream shares one upstream pool, so the next request would use the same connection
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", read-timeout = 2s", "").replace("workers = 2", "workers = 1")
                .replace("\"127.0.0.1:0\"", "{ address = \"127.0.0.1:0\", http2 = true }"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    /** Reads the body the head declares by Content-Length (or none): what an HTTP/1.1 server would read. */
    private static byte[] readBody(String head, InputStream in) throws IOException {
        Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head);
        if (!length.find()) {
            return new byte[0];
        }
        return in.readNBytes(Integer.parseInt(length.group(1)));
    }

    @ParameterizedTest(name = "content-length {0}, DATA {1} bytes")
    @CsvSource({
            "3, surplus",
            "0, surplus",
            "60, short",
    })
    void dataDisagreeingWithContentLengthNeverReachesTheUpstreamAsAnotherRequest(int declared, String kind)
            throws Exception {
        String data = kind.equals("surplus") ? "abc".substring(0, declared) + SMUGGLED : "abc";
        int before = backend.received.size();
        try (RawHttp2 client = new RawHttp2("127.0.0.1", sluice.port())) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(RawHttp2.postRequest("/upload"));
            block.write(0x00);
            RawHttp2.literal(block, "content-length");
            RawHttp2.literal(block, Integer.toString(declared));
            client.write(RawHttp2.HEADERS, RawHttp2.END_HEADERS, 1, block.toByteArray());
            client.write(RawHttp2.DATA, RawHttp2.END_STREAM, 1, data.getBytes(StandardCharsets.US_ASCII));
            client.flush();
            assertTrue(endsWithoutSuccess(client), "the malformed stream must not be answered 200");
            // the same connection goes on serving, through the same upstream pool
            client.write(RawHttp2.HEADERS, RawHttp2.END_HEADERS | RawHttp2.END_STREAM, 3, RawHttp2.getRequest("/ok"));
            client.flush();
            assertEquals(200, statusOf(client, 3));
        }
        var after = backend.received.subList(before, backend.received.size());
        assertTrue(after.stream().noneMatch(r -> r.path().equals("/smuggled")), "smuggled request reached the upstream: " + after);
        ScriptedBackend.Received ok = after.stream().filter(r -> r.path().equals("/ok")).findFirst().orElseThrow(
                () -> new AssertionError("the next request never reached the upstream as a request: " + after));
        after.stream().filter(r -> r.path().equals("/upload")).forEach(upload ->
                assertNotEquals(upload.connection(), ok.connection(), "an upstream connection in doubt carried the next request"));
    }

    /** True once stream 1 is reset, or answered with an error status, or the connection goes away. */
    private static boolean endsWithoutSuccess(RawHttp2 client) throws IOException {
        while (true) {
            RawHttp2.Frame frame = client.read();
            if (frame == null || frame.type() == RawHttp2.GOAWAY) {
                return true;
            }
            if (frame.stream() != 1) {
                continue;
            }
            if (frame.type() == RawHttp2.RST_STREAM) {
                return true;
            }
            if (frame.type() == RawHttp2.HEADERS) {
                // a static-table :status 200 is index 8 (0x88); anything else is another status
                return (frame.payload()[0] & 0xff) != 0x88;
            }
        }
    }

    private static int statusOf(RawHttp2 client, int stream) throws IOException {
        while (true) {
            RawHttp2.Frame frame = client.read();
            if (frame == null) {
                return -1;
            }
            if (frame.stream() == stream && frame.type() == RawHttp2.HEADERS) {
                return (frame.payload()[0] & 0xff) == 0x88 ? 200 : 0;
            }
        }
    }
}
