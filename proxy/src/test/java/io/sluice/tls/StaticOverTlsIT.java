package io.sluice.tls;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Static files cannot use sendfile under TLS or on HTTP/2 streams: the chunked path must give the same bytes. */
class StaticOverTlsIT {
    @TempDir
    static Path directory;
    static TestCertificates certificates;
    static RunningSluice sluice;
    static byte[] big;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("static", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        Path root = Files.createDirectories(directory.resolve("www"));
        big = new byte[5 * 1024 * 1024 + 123];
        new Random(7).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.writeString(root.resolve("small.txt"), "small file\n");
        sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true, http2 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/files/", static { root = "%s" } } ] } ]
                }""".formatted(leaf.chain(), leaf.key(), root));
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @Test
    void http11OverTlsServesByteExactFiles() throws Exception {
        check(HttpClient.Version.HTTP_1_1);
    }

    @Test
    void http2ServesByteExactFilesAndRanges() throws Exception {
        check(HttpClient.Version.HTTP_2);
    }

    private static void check(HttpClient.Version version) throws Exception {
        HttpClient client = TlsClients.httpClient(certificates.clientContext(), version);
        String base = "https://127.0.0.1:" + sluice.port() + "/files/";
        HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(URI.create(base + "big.bin")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, whole.statusCode());
        assertEquals(version, whole.version());
        assertEquals(sha256(big), sha256(whole.body()));

        HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(URI.create(base + "big.bin"))
                .header("Range", "bytes=1000-1999").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, range.statusCode());
        byte[] expected = new byte[1000];
        System.arraycopy(big, 1000, expected, 0, 1000);
        assertArrayEquals(expected, range.body());

        HttpResponse<String> small = client.send(HttpRequest.newBuilder(URI.create(base + "small.txt")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("small file\n", small.body());
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
