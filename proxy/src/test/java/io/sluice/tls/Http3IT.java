package io.sluice.tls;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.testing.Http3TestClient;
import io.sluice.testing.RunningSluice;
import io.sluice.upstream.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/3 end to end with a real QUIC client: the same locations a TLS listener serves (static files, proxy,
 * return) answer on the UDP listener of the same block, the TLS listener advertises it with Alt-Svc, and
 * access log lines name the protocol.
 */
class Http3IT {
    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static TestBackend backend;
    static RunningSluice sluice;
    static byte[] file;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path root = Files.createDirectories(directory.resolve("www"));
        file = new byte[1024 * 1024 + 17];
        new Random(3).nextBytes(file);
        Files.write(root.resolve("big.bin"), file);
        backend = new TestBackend();
        sluice = RunningSluice.start("""
                sluice {
                  upstreams { app { servers = [ { address = "%s" } ] } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true },
                                           { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    access-log { path = "%s", format = "$server_protocol $request_method $request_uri $status" }
                    locations = [
                      { match = "/files/", static { root = "%s" } }
                      { match = "/app/", proxy { upstream = app } }
                      { match = "= /upload", proxy { upstream = app } }
                      { match = "= /hello", return { status = 200, body = "hello over h3" } }
                    ] } ]
                }""".formatted(backend.address(), leaf.chain(), leaf.key(), directory.resolve("access.log"), root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        backend.close();
    }

    private static Http3TestClient client() throws Exception {
        return Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                sluice.port("udp/127.0.0.1:0"));
    }

    @Test
    void servesAStaticFileByteExact() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.Response response = client.get("/files/big.bin");
            assertEquals(200, response.status());
            assertEquals(sha256(file), sha256(response.body()));
            assertEquals(String.valueOf(file.length), response.headers().get("content-length"));
        }
    }

    @Test
    void answersHeadAndConditionalRequestsWithoutBody() throws Exception {
        try (Http3TestClient client = client()) {
            Http3TestClient.Response head = client.send("HEAD", "/files/big.bin", null);
            assertEquals(200, head.status());
            assertEquals(String.valueOf(file.length), head.headers().get("content-length"));
            assertEquals(0, head.body().length);
            String etag = head.headers().get("etag");
            assertNotNull(etag);
            Http3TestClient.Response notModified = client.get("/files/big.bin", Map.of("if-none-match", etag));
            assertEquals(304, notModified.status());
            assertEquals(0, notModified.body().length);
        }
    }

    @Test
    void everyWorkerLoopHasItsOwnUdpSocketWithReusePort() {
        int sockets = "nio".equals(sluice.server().transportName()) ? 1 : sluice.server().config().workers();
        // the TCP listener has as many
        assertEquals(2 * sockets, sluice.server().listenerCount());
    }

    /** The client sends the end of the stream after the HEADERS, in a packet of its own. */
    @Test
    void proxiesABodilessGetAsABodilessRequest() throws Exception {
        backend.requests.clear();
        try (Http3TestClient client = client()) {
            Http3TestClient.Response response = client.get("/app/greeting?x=1");
            assertEquals(200, response.status());
            assertEquals("hello", new String(response.body(), StandardCharsets.UTF_8));
        }
        HttpRequest upstream = backend.requests.poll(5, TimeUnit.SECONDS);
        assertNotNull(upstream);
        assertEquals("/app/greeting?x=1", upstream.uri());
        assertEquals("localhost:" + sluice.port("udp/127.0.0.1:0"), upstream.headers().get(HttpHeaderNames.HOST));
        assertNull(upstream.headers().get(HttpHeaderNames.TRANSFER_ENCODING), "a GET reaches the upstream without a body");
        assertFalse(upstream.headers().names().stream().anyMatch(name -> name.startsWith("x-http3")),
                upstream.headers().names().toString());
    }

    @Test
    void proxiesARequestBody() throws Exception {
        byte[] body = new byte[200_000];
        new Random(5).nextBytes(body);
        try (Http3TestClient client = client()) {
            Http3TestClient.Response response = client.send("POST", "/upload", body);
            assertEquals(200, response.status());
            // the backend answers "<sha256> <length>" of the body it streamed
            assertEquals(sha256(body) + " " + body.length, new String(response.body(), StandardCharsets.UTF_8).trim());
        }
    }

    @Test
    void streamsABodyWithoutContentLengthChunkedToTheUpstream() throws Exception {
        byte[] body = new byte[70_000];
        new Random(9).nextBytes(body);
        for (long pause : new long[] {0, 300}) {
            backend.requests.clear();
            try (Http3TestClient client = client()) {
                // a pause longer than the wait for the end of the stream: the request goes upstream before its body
                Http3TestClient.Response response = client.send("POST", "/upload", body, false, pause);
                assertEquals(200, response.status());
                assertEquals(sha256(body) + " " + body.length, new String(response.body(), StandardCharsets.UTF_8).trim());
            }
            HttpRequest upstream = backend.requests.poll(5, TimeUnit.SECONDS);
            assertNotNull(upstream);
            assertEquals("chunked", upstream.headers().get(HttpHeaderNames.TRANSFER_ENCODING), "pause " + pause);
        }
    }

    @Test
    void answersAReturnAction() throws Exception {
        try (Http3TestClient client = client()) {
            for (int i = 0; i < 3; i++) {
                Http3TestClient.Response response = client.get("/hello");
                assertEquals(200, response.status());
                assertEquals("hello over h3", new String(response.body(), StandardCharsets.UTF_8));
                assertNull(response.headers().get("alt-svc"), "HTTP/3 responses need no advertisement of HTTP/3");
            }
        }
    }

    @Test
    void theTlsListenerAdvertisesHttp3AndTheLogNamesTheProtocol() throws Exception {
        HttpClient https = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_2);
        HttpResponse<String> response = https.send(java.net.http.HttpRequest.newBuilder(
                URI.create("https://localhost:" + sluice.port("127.0.0.1:0") + "/hello")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("h3=\":" + sluice.port("udp/127.0.0.1:0") + "\"; ma=86400",
                response.headers().firstValue("alt-svc").orElse(null));

        try (Http3TestClient client = client()) {
            assertEquals(200, client.get("/hello?logged").status());
        }
        assertTrue(awaitLine("HTTP/3.0 GET /hello?logged 200"));
        assertTrue(awaitLine("HTTP/2.0 GET /hello 200"));
        ByteArrayOutputStream scrape = new ByteArrayOutputStream();
        sluice.server().metrics().write(scrape);
        String metrics = scrape.toString(StandardCharsets.UTF_8);
        assertTrue(metrics.matches("(?s).*sluice_requests_by_protocol_total\\{protocol=\"HTTP/3\\.0\"} [1-9].*"), metrics);
        assertTrue(metrics.contains("sluice_connections_total{listener=\"udp/127.0.0.1:0\"}"), metrics);
    }

    @Test
    void aStreamThatSendsNoRequestIsResetAfterTheHeaderTimeout() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("h3-slow", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        try (RunningSluice strict = RunningSluice.start("""
                sluice {
                  limits { header-timeout = 500ms }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "ok" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key()));
             Http3TestClient client = Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                     strict.port("udp/127.0.0.1:0"))) {
            Object ended = client.openStreamWithoutRequest().get(10, TimeUnit.SECONDS);
            assertNotNull(ended, "the server ends a stream that never sent its head");
            assertEquals(200, client.get("/").status(), "the connection itself keeps serving");
        }
    }

    @Test
    void servesOnOneSocketWithNio() throws Exception {
        TestCertificates.Leaf leaf = certificates.issue("h3-nio", TestCertificates.KeyFormat.RSA_PKCS8, "localhost");
        try (RunningSluice nio = RunningSluice.start("""
                sluice {
                  transport = nio
                  servers = [ { listen = [ { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { status = 200, body = "nio" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key()));
             Http3TestClient client = Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost",
                     nio.port("udp/127.0.0.1:0"))) {
            assertEquals(1, nio.server().listenerCount());
            assertEquals("nio", new String(client.get("/").body(), StandardCharsets.UTF_8));
        }
    }

    private static boolean awaitLine(String line) throws Exception {
        Path log = directory.resolve("access.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            if (lines.contains(line)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
