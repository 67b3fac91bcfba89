package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.server.ReloadResult;
import io.sluice.testing.Http3TestClient;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reload adds an HTTP/3 listener (and its Alt-Svc) and removes it again, draining its connections. */
class Http3ReloadIT {
    @TempDir
    Path directory;

    private static final String CONFIG = """
            sluice {
              servers = [ { listen = [ { address = "127.0.0.1:0", tls = true }%s ]
                tls { certificates = [ { cert = "%s", key = "%s" } ] }
                locations = [ { match = "/", return { status = 200, body = "ok" } } ] } ]
            }""";

    @Test
    void addingAndRemovingTheHttp3Listener() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf leaf = certificates.issue("h3", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        String without = CONFIG.formatted("", leaf.chain(), leaf.key());
        String with = CONFIG.formatted(", { address = \"127.0.0.1:0\", http3 = true }", leaf.chain(), leaf.key());
        HttpClient https = TlsClients.httpClient(certificates.clientContext(), HttpClient.Version.HTTP_1_1);
        try (RunningSluice sluice = RunningSluice.start(without, directory)) {
            URI uri = URI.create("https://localhost:" + sluice.port() + "/");
            assertEquals(Optional.empty(), altSvc(https, uri));

            ReloadResult added = sluice.server().apply(ConfigLoader.parse(with, directory));
            assertTrue(added.success(), added.problems().toString());
            assertTrue(added.notes().contains("bound [udp/127.0.0.1:0]"), added.notes().toString());
            int udp = sluice.port("udp/127.0.0.1:0");
            assertEquals(Optional.of("h3=\":" + udp + "\"; ma=86400"), altSvc(https, uri));

            try (Http3TestClient client = Http3TestClient.connect(certificates.caCertificate().toFile(), "localhost", udp)) {
                assertEquals(200, client.get("/").status());
                ReloadResult removed = sluice.server().apply(ConfigLoader.parse(without, directory));
                assertTrue(removed.success(), removed.problems().toString());
                assertTrue(client.closedByServer(5, TimeUnit.SECONDS), "the removed listener's connection drains");
            }
            assertFalse(sluice.server().boundPorts().containsKey("udp/127.0.0.1:0"));
            assertEquals(Optional.empty(), altSvc(https, uri));
        }
    }

    @Test
    void renewedCertificateFilesReachNewHttp3Connections() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        TestCertificates.Leaf first = certificates.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
        String config = """
                sluice {
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true }, { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ], watch-interval = 100ms }
                    locations = [ { match = "/", return { status = 200, body = "ok" } } ] } ]
                }""".formatted(first.chain(), first.key());
        try (RunningSluice sluice = RunningSluice.start(config, directory)) {
            int udp = sluice.port("udp/127.0.0.1:0");
            File ca = certificates.caCertificate().toFile();
            try (Http3TestClient established = Http3TestClient.connect(ca, "localhost", udp)) {
                assertEquals(first.certificate(), established.peerCertificate());

                TestCertificates.Leaf second = certificates.issue("next", TestCertificates.KeyFormat.EC_PKCS8, "localhost");
                Files.move(second.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
                Files.move(second.chain(), first.chain(), StandardCopyOption.REPLACE_EXISTING);
                FileTime later = FileTime.from(Instant.now().plusSeconds(5));
                Files.setLastModifiedTime(first.key(), later);
                Files.setLastModifiedTime(first.chain(), later);

                X509Certificate served = first.certificate();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (served.equals(first.certificate()) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                    try (Http3TestClient fresh = Http3TestClient.connect(ca, "localhost", udp)) {
                        served = fresh.peerCertificate();
                    }
                }
                assertEquals(second.certificate(), served, "a new HTTP/3 handshake gets the renewed certificate");
                assertEquals(200, established.get("/").status(), "the established connection keeps working");
            }
        }
    }

    private static Optional<String> altSvc(HttpClient https, URI uri) throws Exception {
        HttpResponse<String> response = https.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.headers().firstValue("alt-svc");
    }
}
