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
import java.nio.file.Path;
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

    private static Optional<String> altSvc(HttpClient https, URI uri) throws Exception {
        HttpResponse<String> response = https.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.headers().firstValue("alt-svc");
    }
}
