package io.sluice.tls;

import com.sun.net.httpserver.HttpServer;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.sluice.testing.Http2Backend;
import io.sluice.testing.Http2TestClient;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proxied responses to HTTP/2 clients over TLS: from an HTTP/1.1 upstream to {@code java.net.http} and
 * {@code curl --http2}, and from a {@code protocol = h2} upstream (TLS, ALPN h2, verified against the test
 * CA) with its trailers intact.
 */
class ProxiedHttp2IT {
    private static final byte[] PAYLOAD = new byte[1_000_000];

    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static HttpServer http1Backend;
    static Http2Backend h2Backend;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        new Random(42).nextBytes(PAYLOAD);
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf front = certificates.issue("front", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        TestCertificates.Leaf back = certificates.issue("back", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        http1Backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http1Backend.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                byte[] upload = in.readAllBytes();
                byte[] body = exchange.getRequestMethod().equals("POST")
                        ? (Http2Backend.sha256(upload) + " " + upload.length).getBytes(StandardCharsets.US_ASCII)
                        : PAYLOAD;
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
            }
        });
        http1Backend.start();
        h2Backend = Http2Backend.tls(back.chain(), back.key(), 100);
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  upstreams {
                    plain { servers = [ { address = "127.0.0.1:%d" } ] }
                    grpc { protocol = h2, servers = [ { address = "%s" } ], tls { ca-file = "%s" } }
                  }
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [
                      { match = "/grpc/", proxy { upstream = grpc } }
                      { match = "/", proxy { upstream = plain } }
                    ] } ]
                }""".formatted(http1Backend.getAddress().getPort(), h2Backend.address(), certificates.caCertificate(),
                front.chain(), front.key()));
    }

    @AfterAll
    static void stop() {
        sluice.close();
        h2Backend.close();
        http1Backend.stop(0);
    }

    @Test
    void javaHttpClientGetsProxiedResponsesOverHttp2() throws Exception {
        HttpClient client = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_2);
        HttpResponse<byte[]> download = client.send(HttpRequest.newBuilder(uri("/download")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(HttpClient.Version.HTTP_2, download.version());
        assertEquals(200, download.statusCode());
        assertArrayEquals(PAYLOAD, download.body());

        byte[] upload = new byte[300_000];
        new Random(7).nextBytes(upload);
        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, posted.version());
        assertEquals(Http2Backend.sha256(upload) + " " + upload.length, posted.body());
    }

    @Test
    void curlGetsAProxiedResponseOverHttp2() throws Exception {
        Path body = directory.resolve("curl-body");
        String version = TestCertificates.run(directory, "curl", "-s", "--max-time", "10", "--http2", "--cacert",
                certificates.caCertificate().toString(), "-o", body.toString(), "-w", "%{http_version} %{http_code}",
                "https://localhost:" + sluice.port() + "/download");
        assertEquals("2 200", version);
        assertArrayEquals(PAYLOAD, Files.readAllBytes(body));
    }

    @Test
    void h2UpstreamOverTlsKeepsTrailers() throws Exception {
        SslContext ssl = SslContextBuilder.forClient().trustManager(certificates.caCertificate().toFile())
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
        byte[] upload = "a gRPC message".getBytes(StandardCharsets.US_ASCII);
        try (Http2TestClient client = Http2TestClient.tls(sluice.port(), ssl)) {
            Http2TestClient.Call call = client.call("POST", "/grpc/unary",
                    Map.of("content-type", "application/grpc", "te", "trailers"), false);
            call.send(upload, true);
            Http2Headers headers = call.headers.get(10, TimeUnit.SECONDS);
            assertEquals("200", headers.status().toString());
            assertEquals(Http2Backend.sha256(upload) + " " + upload.length,
                    new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
            Http2Headers trailers = call.trailers.get(10, TimeUnit.SECONDS);
            assertEquals("0", trailers.get("grpc-status").toString());
            assertEquals("OK", trailers.get("grpc-message").toString());
        }
        Http2Headers received = h2Backend.requests.stream().filter(head -> "/grpc/unary".contentEquals(head.path()))
                .findFirst().orElseThrow();
        assertEquals("https", received.scheme().toString(), "spoken to over TLS");
        assertEquals("trailers", received.get("te").toString());
    }

    @Test
    void curlSeesTheTrailersOfAnH2Upstream() throws Exception {
        String output = TestCertificates.run(directory, "curl", "-s", "-v", "--max-time", "10", "--http2", "--cacert",
                certificates.caCertificate().toString(), "-H", "te: trailers", "-H", "content-type: application/grpc",
                "--data-binary", "hi", "https://localhost:" + sluice.port() + "/grpc/stream/100000", "-o", "/dev/null");
        assertTrue(output.contains("< HTTP/2 200"), output);
        assertTrue(output.contains("< grpc-status: 0"), output);
        byte[] expected = new byte[100_000];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = Http2Backend.bytes(i);
        }
        assertTrue(output.contains("< x-body-sha256: " + Http2Backend.sha256(expected)), output);
    }

    private static URI uri(String path) {
        return URI.create("https://127.0.0.1:" + sluice.port() + path);
    }
}
