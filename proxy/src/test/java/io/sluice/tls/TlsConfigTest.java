package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.config.HstsConfig;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.ServerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsConfigTest {
    @TempDir
    Path directory;

    private SluiceConfig parse(String serverKeys) {
        return ConfigLoader.parse("""
                sluice { servers = [ { listen = [ { address = "127.0.0.1:8443", tls = true, http2 = true } ]
                  %s
                  locations = [ { match = "/", return { status = 204 } } ] } ] }""".formatted(serverKeys), directory);
    }

    private String problems(String serverKeys) {
        return String.join("\n", assertThrows(InvalidConfigException.class, () -> parse(serverKeys)).problems());
    }

    private void placeholderFiles() throws IOException {
        Files.writeString(directory.resolve("fullchain.pem"), "placeholder");
        Files.writeString(directory.resolve("privkey.pem"), "placeholder");
    }

    @Test
    void readsTheTlsBlockWithModernDefaults() throws IOException {
        placeholderFiles();
        ServerConfig server = parse("""
                tls { certificates = [ { cert = "fullchain.pem", key = "privkey.pem" } ], watch-interval = 5s }
                hsts { max-age = 31536000, include-subdomains = true }
                redirect-to-https = true""").servers().get(0);
        TlsConfig tls = server.tls();
        assertEquals(directory.resolve("fullchain.pem"), tls.certificates().get(0).cert());
        assertEquals(java.util.List.of("TLSv1.3", "TLSv1.2"), tls.protocols());
        assertTrue(tls.ciphers().stream().allMatch(c -> c.contains("GCM") || c.contains("CHACHA20")));
        assertTrue(tls.ciphers().stream().filter(c -> !c.startsWith("TLS_AES") && !c.startsWith("TLS_CHACHA"))
                .allMatch(c -> c.startsWith("TLS_ECDHE_")), "TLS 1.2 suites are forward secret");
        assertEquals(Duration.ofSeconds(5), tls.watchInterval());
        assertEquals(new HstsConfig(31536000, true, false, "max-age=31536000; includeSubDomains"), server.hsts());
        assertEquals(443, server.redirectToHttps());
    }

    @Test
    void hstsMaxAgeAlsoTakesADuration() throws IOException {
        placeholderFiles();
        ServerConfig server = parse("""
                tls { certificates = [ { cert = "fullchain.pem", key = "privkey.pem" } ] }
                hsts { max-age = 2d }""").servers().get(0);
        assertEquals("max-age=172800", server.hsts().headerValue());
    }

    @Test
    void aCertificateMayNameAnOcspResponseFileThatMustExist() throws IOException {
        placeholderFiles();
        Files.writeString(directory.resolve("site.ocsp.der"), "placeholder");
        TlsConfig tls = parse("""
                tls { certificates = [ { cert = "fullchain.pem", key = "privkey.pem", ocsp-response = "site.ocsp.der" } ] }
                """).servers().get(0).tls();
        assertEquals(directory.resolve("site.ocsp.der"), tls.certificates().get(0).ocspResponse());

        String problems = problems("""
                tls { certificates = [ { cert = "fullchain.pem", key = "privkey.pem", ocsp-response = "gone.der" } ] }""");
        assertTrue(problems.contains("tls.certificates[0].ocsp-response: cannot read " + directory.resolve("gone.der")),
                problems);
    }

    @Test
    void ocspStaplingIsOffByDefaultAndItsResponderMustBeAPlainHttpUrl() throws IOException {
        placeholderFiles();
        String certificates = "certificates = [ { cert = \"fullchain.pem\", key = \"privkey.pem\" } ]";
        TlsConfig off = parse("tls { " + certificates + " }").servers().get(0).tls();
        assertEquals(false, off.ocspStapling());
        TlsConfig on = parse("tls { " + certificates + ", ocsp-stapling = true, ocsp-responder = \"http://ocsp.test/\" }")
                .servers().get(0).tls();
        assertEquals(true, on.ocspStapling());
        assertEquals(java.net.URI.create("http://ocsp.test/"), on.ocspResponder());

        String https = problems("tls { " + certificates + ", ocsp-stapling = true, ocsp-responder = \"https://ocsp.test/\" }");
        assertTrue(https.contains("tls.ocsp-responder: must be an http:// URL"), https);
        String unused = problems("tls { " + certificates + ", ocsp-responder = \"http://ocsp.test/\" }");
        assertTrue(unused.contains("tls.ocsp-responder: only used with ocsp-stapling = true"), unused);
    }

    @Test
    void aTlsListenerNeedsCertificates() {
        assertTrue(problems("").contains("needs a tls { certificates"), problems(""));
    }

    @Test
    void reportsMissingFilesOldProtocolsAndBadRedirects() throws IOException {
        Files.writeString(directory.resolve("fullchain.pem"), "placeholder");
        String problems = problems("""
                tls { certificates = [ { cert = "fullchain.pem", key = "missing.pem" } ], protocols = [ "TLSv1.1" ] }
                redirect-to-https = "yes"
                hsts { max-age = 60, preload = true }""");
        assertTrue(problems.contains("tls.certificates[0].key: cannot read " + directory.resolve("missing.pem")), problems);
        assertTrue(problems.contains("\"TLSv1.1\" is not supported"), problems);
        assertTrue(problems.contains("redirect-to-https: must be true, false or the HTTPS port"), problems);
        assertTrue(problems.contains("preload lists require"), problems);
    }

    @Test
    void readsHttp2Limits() {
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  http2 { max-concurrent-streams = 50, initial-window-size = 1m, max-resets = 10, reset-window = 5s }
                  servers = [ { listen = [ { address = "127.0.0.1:8080", http2 = true } ]
                    locations = [ { match = "/", return { status = 204 } } ] } ]
                }""", directory);
        assertEquals(50, config.http2().maxConcurrentStreams());
        assertEquals(1 << 20, config.http2().initialWindowSize());
        assertEquals(10, config.http2().maxResetsPerWindow());
        assertEquals(5, config.http2().resetWindowSeconds());
        assertEquals(16384, config.http2().maxFrameSize());
    }
}
