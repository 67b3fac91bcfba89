package io.sluice.tls;

import io.sluice.testing.RawHttp2;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Http2IT {
    private static final String BODY = "0123456789abcdef".repeat(1024);
    private static final int ENHANCE_YOUR_CALM = 0xb;
    private static final int PROTOCOL_ERROR = 0x1;

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static RunningSluice sluice;
    static int tlsPort;
    static int cleartextPort;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h2", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  http2 { max-concurrent-streams = 128, max-resets = 100, reset-window = 30s }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true },
                                           { address = "127.0.0.4:0", http2 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [
                      { match = "= /small", return { status = 200, body = "hello h2" } }
                      { match = "/", return { status = 200, body = "%s" } }
                    ] } ]
                }""".formatted(leaf.chain(), leaf.key(), BODY));
        tlsPort = sluice.port("127.0.0.1:0");
        cleartextPort = sluice.port("127.0.0.4:0");
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @Test
    void negotiatesHttp2ByAlpnAndServesConcurrentStreamsOnOneConnection() throws Exception {
        HttpClient client = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_2);
        URI small = URI.create("https://127.0.0.1:" + tlsPort + "/small");
        HttpResponse<String> first = client.send(HttpRequest.newBuilder(small).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, first.version());
        assertEquals("hello h2", first.body());
        assertEquals("sluice", first.headers().firstValue("server").orElseThrow());
        assertFalse(first.headers().firstValue("connection").isPresent(), "no hop-by-hop headers in HTTP/2");

        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            URI uri = URI.create("https://127.0.0.1:" + tlsPort + "/stream/" + i);
            responses.add(client.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> future : responses) {
            HttpResponse<String> response = future.get();
            assertEquals(200, response.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals(BODY, response.body());
        }

        byte[] upload = new byte[300_000];
        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(small)
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("hello h2", posted.body(), "a request body the action does not read is discarded");
        assertEquals("hello h2", client.send(HttpRequest.newBuilder(small).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void curlNegotiatesH2OverTlsAndHttp11WhenAskedFor() throws Exception {
        String url = "https://127.0.0.1:" + tlsPort + "/small";
        assertEquals("2 hello h2", curl("--http2", url));
        assertEquals("1.1 hello h2", curl("--http1.1", url));
    }

    @Test
    void servesH2cWithPriorKnowledgeAndHttp11OnTheSamePlainListener() throws Exception {
        String url = "http://127.0.0.4:" + cleartextPort + "/small";
        assertEquals("2 hello h2", curl("--http2-prior-knowledge", url));
        assertEquals("1.1 hello h2", curl("--http1.1", url));
    }

    @Test
    void rapidResetFloodEndsTheConnectionAndOthersAreStillServed() throws Exception {
        int goAwayError = -1;
        try (Socket socket = new Socket("127.0.0.4", cleartextPort)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(RawHttp2.frame(0x4, 0, 0, new byte[0]));
            byte[] authority = "localhost".getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream headers = new ByteArrayOutputStream();
            headers.write(new byte[] {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x01, (byte) authority.length});
            headers.write(authority);
            try {
                for (int stream = 1; stream < 2 * 1000; stream += 2) {
                    out.write(RawHttp2.frame(0x1, 0x5, stream, headers.toByteArray()));
                    out.write(RawHttp2.frame(0x3, 0, stream, new byte[] {0, 0, 0, 0x8}));
                }
                out.flush();
            } catch (IOException closedByServer) {
                // the server may close while we are still writing the flood
            }
            DataInputStream in = new DataInputStream(socket.getInputStream());
            try {
                while (true) {
                    int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    in.readUnsignedByte();
                    in.readInt();
                    byte[] payload = in.readNBytes(length);
                    if (type == 0x7) {
                        goAwayError = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16)
                                | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff);
                        break;
                    }
                }
            } catch (EOFException | java.net.SocketException closed) {
                // closed without a readable GOAWAY: reported by the assertion below
            }
        }
        assertEquals(ENHANCE_YOUR_CALM, goAwayError, "the flood ends with GOAWAY ENHANCE_YOUR_CALM");
        assertEquals("2 hello h2", curl("--http2-prior-knowledge", "http://127.0.0.4:" + cleartextPort + "/small"));
    }

    @Test
    void aRequestWithoutItsPathIsResetAsMalformedAndTheConnectionServesTheNext() throws Exception {
        try (Socket socket = new Socket("127.0.0.4", cleartextPort)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(RawHttp2.frame(0x4, 0, 0, new byte[0]));
            byte[] authority = "localhost".getBytes(StandardCharsets.US_ASCII);
            // :method GET, :scheme http, :authority localhost; no :path (RFC 9113 §8.3.1: malformed)
            ByteArrayOutputStream withoutPath = new ByteArrayOutputStream();
            withoutPath.write(new byte[] {(byte) 0x82, (byte) 0x86, 0x01, (byte) authority.length});
            withoutPath.write(authority);
            out.write(RawHttp2.frame(0x1, 0x5, 1, withoutPath.toByteArray()));
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            assertEquals(PROTOCOL_ERROR, resetCode(in, 1), "the malformed request's stream is reset");

            // :method GET, :scheme http, :path /small (literal, name index 4), :authority localhost
            ByteArrayOutputStream valid = new ByteArrayOutputStream();
            valid.write(new byte[] {(byte) 0x82, (byte) 0x86, 0x04, 6});
            valid.write("/small".getBytes(StandardCharsets.US_ASCII));
            valid.write(new byte[] {0x01, (byte) authority.length});
            valid.write(authority);
            out.write(RawHttp2.frame(0x1, 0x5, 3, valid.toByteArray()));
            out.flush();
            assertEquals("hello h2", dataOf(in, 3));
        }
    }

    @Test
    void drainingClosesAnIdleHttp2ConnectionAtOnce() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("drain", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        RunningSluice draining = RunningSluice.start("""
                sluice {
                  workers = 1
                  shutdown-timeout = 20s
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "bye" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key()));
        try {
            HttpClient client = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_2);
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + draining.port() + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, response.version());
            assertEquals(1, draining.server().activeConnections());
            long start = System.nanoTime();
            draining.server().shutdown();
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 10_000, "the idle HTTP/2 connection got GOAWAY and closed; shutdown took " + millis + " ms");
        } finally {
            draining.close();
        }
    }

    /** Reads frames until RST_STREAM on {@code stream}; its error code. */
    private static int resetCode(DataInputStream in, int stream) throws IOException {
        while (true) {
            int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            in.readUnsignedByte();
            int id = in.readInt() & 0x7fffffff;
            byte[] payload = in.readNBytes(length);
            assertTrue(type != 0x7, "GOAWAY: the connection should have survived");
            if (type == 0x3 && id == stream) {
                return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8)
                        | (payload[3] & 0xff);
            }
            assertFalse(id == stream && type == 0x1, "the malformed request must not be answered");
        }
    }

    /** Reads frames until {@code stream} ends with a DATA frame; the bytes of its DATA frames. */
    private static String dataOf(DataInputStream in, int stream) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int id = in.readInt() & 0x7fffffff;
            byte[] payload = in.readNBytes(length);
            assertFalse(id == stream && type == 0x3, "the valid request was reset");
            if (type == 0x0 && id == stream) {
                body.writeBytes(payload);
                if ((flags & 0x1) != 0) {
                    return body.toString(StandardCharsets.US_ASCII);
                }
            }
        }
    }

    /** Runs curl and returns "HTTP-VERSION BODY". */
    private static String curl(String protocolOption, String url) throws Exception {
        String output = TestCertificates.run(directory, "curl", "-s", "--max-time", "10", "--cacert",
                certificates.caCertificate().toString(), protocolOption, "-w", " %{http_version}", url);
        int space = output.lastIndexOf(' ');
        assertTrue(space > 0, output);
        return output.substring(space + 1) + " " + output.substring(0, space);
    }
}
