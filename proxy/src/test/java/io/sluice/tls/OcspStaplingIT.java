package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OCSP stapling end to end: what a client that asks for the certificate status gets in the handshake. */
class OcspStaplingIT {
    private static final String FILE_CONFIG = """
            sluice {
              workers = 1
              servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                tls { certificates = [ { cert = "%s", key = "%s", ocsp-response = "%s" } ], watch-interval = 100ms }
                locations = [ { match = "/", return { status = 200, body = "stapled" } } ] } ]
            }""";

    private static final String FETCH_CONFIG = """
            sluice {
              workers = 1
              servers = [ { listen = [ { address = "127.0.0.1:0", tls = true } ]
                tls { certificates = [ { cert = "%s", key = "%s" } ], watch-interval = 100ms, ocsp-stapling = true %s }
                locations = [ { match = "/", return { status = 200, body = "stapled" } } ] } ]
            }""";

    @TempDir
    Path directory;

    private TestCertificates ca;
    private TestOcsp ocsp;

    @BeforeEach
    void authority() throws Exception {
        ca = TestCertificates.create(directory);
        ocsp = new TestOcsp(ca);
    }

    @Test
    void theResponseFromTheFileIsStapled() throws Exception {
        TestCertificates.Leaf leaf = ca.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        byte[] response = ocsp.response(leaf, TestOcsp.Status.GOOD);
        Path file = Files.write(directory.resolve("site.ocsp.der"), response);
        try (RunningSluice sluice = RunningSluice.start(FILE_CONFIG.formatted(leaf.chain(), leaf.key(), file))) {
            assertArrayEquals(response, staple(sluice.port()));
            String shown = TestCertificates.run(directory, "openssl", "s_client", "-connect", "127.0.0.1:" + sluice.port(),
                    "-servername", "site.test", "-status", "-CAfile", ca.caCertificate().toString());
            assertTrue(shown.contains("OCSP Response Status: successful"), shown);
            assertTrue(shown.contains("Cert Status: good"), shown);
            assertTrue(shown.contains("Verify return code: 0 (ok)"), shown);
        }
    }

    @Test
    void aFileThatCannotBeStapledIsAConfigurationError() throws Exception {
        TestCertificates.Leaf leaf = ca.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        Path revoked = Files.write(directory.resolve("revoked.der"), ocsp.response(leaf, TestOcsp.Status.REVOKED));
        RuntimeException refused = assertThrows(RuntimeException.class,
                () -> RunningSluice.start(FILE_CONFIG.formatted(leaf.chain(), leaf.key(), revoked)).close());
        assertTrue(messages(refused).contains("ocsp-response " + revoked), messages(refused));
        assertTrue(messages(refused).contains("revoked"), messages(refused));
    }

    @Test
    void aReplacedFileOrCertificateIsStapledOnTheNextHandshake() throws Exception {
        TestCertificates.Leaf first = ca.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
        Path file = Files.write(directory.resolve("site.ocsp.der"), ocsp.response(first, TestOcsp.Status.GOOD));
        try (RunningSluice sluice = RunningSluice.start(FILE_CONFIG.formatted(first.chain(), first.key(), file))) {
            byte[] refreshed = ocsp.response(first, TestOcsp.Status.GOOD);
            replace(file, refreshed);
            assertEquals(List.of(Arrays.toString(refreshed)), servedEventually(sluice.port(), refreshed));

            TestCertificates.Leaf second = ca.issue("next", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
            byte[] ofSecond = ocsp.response(second, TestOcsp.Status.GOOD);
            Path secondFile = Files.write(directory.resolve("next.ocsp.der"), ofSecond);
            Files.move(second.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
            Files.move(second.chain(), first.chain(), StandardCopyOption.REPLACE_EXISTING);
            Files.move(secondFile, file, StandardCopyOption.REPLACE_EXISTING);
            FileTime later = FileTime.from(Instant.now().plusSeconds(5));
            for (Path changed : List.of(first.key(), first.chain(), file)) {
                Files.setLastModifiedTime(changed, later);
            }
            assertEquals(List.of(Arrays.toString(ofSecond)), servedEventually(sluice.port(), ofSecond));
            assertEquals(second.certificate(),
                    TlsClients.peerCertificate(ca.clientContext(), sluice.port(), "site.test"));
        }
    }

    @Test
    void theResponderNamedByTheCertificateIsAskedAndItsAnswerStapled() throws Exception {
        try (TestOcspResponder responder = new TestOcspResponder()) {
            TestCertificates.Leaf leaf = ca.issueWith("site", TestCertificates.KeyFormat.EC_PKCS8,
                    "authorityInfoAccess=OCSP;URI:" + responder.url(), "site.test");
            byte[] response = ocsp.response(leaf, TestOcsp.Status.GOOD);
            responder.answer(response);
            try (RunningSluice sluice = RunningSluice.start(FETCH_CONFIG.formatted(leaf.chain(), leaf.key(), ""))) {
                assertEquals(List.of(Arrays.toString(response)), servedEventually(sluice.port(), response));
                assertEquals(1, sluice.server().tls().stapledCertificates());
                TestOcspResponder.Received request = responder.received().get(0);
                assertEquals("POST", request.method());
                assertEquals("application/ocsp-request", request.contentType());
                Path asked = Files.write(directory.resolve("asked.der"), request.body());
                String text = TestCertificates.run(directory, "openssl", "ocsp", "-reqin", asked.toString(), "-req_text");
                assertTrue(text.toUpperCase().replace(":", "")
                        .contains(leaf.certificate().getSerialNumber().toString(16).toUpperCase()), text);
            }
        }
    }

    @Test
    void aRefusedAnswerIsNotStapledAndAReloadKeepsTheLastGoodOne() throws Exception {
        try (TestOcspResponder responder = new TestOcspResponder()) {
            // no responder in the certificate: ocsp-responder names it
            TestCertificates.Leaf leaf = ca.issue("site", TestCertificates.KeyFormat.EC_PKCS8, "site.test");
            TestCertificates.Leaf other = ca.issue("other", TestCertificates.KeyFormat.EC_PKCS8, "other.test");
            responder.answer(ocsp.response(other, TestOcsp.Status.GOOD));
            String config = FETCH_CONFIG.formatted(leaf.chain(), leaf.key(),
                    ", ocsp-responder = \"" + responder.url() + "\"");
            try (RunningSluice sluice = RunningSluice.start(config)) {
                awaitRequests(responder, 1);
                Thread.sleep(300);
                assertEquals(List.of(), staples(sluice.port()), "a response for another certificate is not stapled");
                assertEquals(0, sluice.server().tls().stapledCertificates());
            }

            responder.received().clear();
            responder.answer(ocsp.response(leaf, TestOcsp.Status.REVOKED));
            try (RunningSluice sluice = RunningSluice.start(config)) {
                awaitRequests(responder, 1);
                Thread.sleep(300);
                assertEquals(List.of(), staples(sluice.port()), "a revoked status is not stapled");
            }

            byte[] good = ocsp.response(leaf, TestOcsp.Status.GOOD);
            responder.answer(good);
            try (RunningSluice sluice = RunningSluice.start(config)) {
                assertEquals(List.of(Arrays.toString(good)), servedEventually(sluice.port(), good));
                responder.answer(null);
                sluice.server().tls().reload(ConfigLoader.parse(config, directory)).get(30, TimeUnit.SECONDS);
                assertArrayEquals(good, staple(sluice.port()),
                        "the same certificate keeps its staple across a reload while the responder fails");
            }
        }
    }

    @Test
    void aResponderThatNeverAnswersDelaysNeitherTheStartNorAHandshake() throws Exception {
        // a listening socket nobody accepts from: the fetch connects and then waits for its read timeout
        try (ServerSocket blackHole = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            TestCertificates.Leaf leaf = ca.issueWith("site", TestCertificates.KeyFormat.EC_PKCS8,
                    "authorityInfoAccess=OCSP;URI:http://127.0.0.1:" + blackHole.getLocalPort() + "/", "site.test");
            try (RunningSluice sluice = RunningSluice.start(FETCH_CONFIG.formatted(leaf.chain(), leaf.key(), ""))) {
                for (int i = 0; i < 10; i++) {
                    // far below the fetch's 10 s read timeout: a fetch on the only event loop would fail this
                    try (SSLSocket socket = handshake(sluice.port(), 4_000)) {
                        assertEquals(List.of(), ((ExtendedSSLSession) socket.getSession()).getStatusResponses());
                        assertTrue(TlsClients.get(socket, "site.test", "/").endsWith("stapled"));
                    }
                }
            }
        }
    }

    @Test
    void aReplacedCertificateGetsItsOwnFetchedStaple() throws Exception {
        try (TestOcspResponder responder = new TestOcspResponder()) {
            String aia = "authorityInfoAccess=OCSP;URI:" + responder.url();
            TestCertificates.Leaf first = ca.issueWith("site", TestCertificates.KeyFormat.EC_PKCS8, aia, "site.test");
            byte[] ofFirst = ocsp.response(first, TestOcsp.Status.GOOD);
            responder.answer(ofFirst);
            try (RunningSluice sluice = RunningSluice.start(FETCH_CONFIG.formatted(first.chain(), first.key(), ""))) {
                assertEquals(List.of(Arrays.toString(ofFirst)), servedEventually(sluice.port(), ofFirst));

                TestCertificates.Leaf second = ca.issueWith("next", TestCertificates.KeyFormat.EC_PKCS8, aia,
                        "site.test");
                byte[] ofSecond = ocsp.response(second, TestOcsp.Status.GOOD);
                responder.answer(ofSecond);
                Files.move(second.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
                Files.move(second.chain(), first.chain(), StandardCopyOption.REPLACE_EXISTING);
                FileTime later = FileTime.from(Instant.now().plusSeconds(5));
                Files.setLastModifiedTime(first.key(), later);
                Files.setLastModifiedTime(first.chain(), later);
                assertEquals(List.of(Arrays.toString(ofSecond)), servedEventually(sluice.port(), ofSecond));
                assertEquals(second.certificate(),
                        TlsClients.peerCertificate(ca.clientContext(), sluice.port(), "site.test"));
            }
        }
    }

    private static void awaitRequests(TestOcspResponder responder, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (responder.received().size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(responder.received().size() >= count, "the responder was asked");
    }

    private SSLSocket handshake(int port, int timeoutMillis) throws Exception {
        SSLSocket socket = (SSLSocket) ca.clientContext().getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMillis);
        socket.setSoTimeout(timeoutMillis);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("site.test")));
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** The staples of a new handshake (with the JDK client, which asks for the status by default). */
    private byte[] staple(int port) throws Exception {
        List<byte[]> responses = staples(port);
        assertEquals(1, responses.size(), "one stapled response");
        return responses.get(0);
    }

    private List<byte[]> staples(int port) throws Exception {
        try (SSLSocket socket = TlsClients.connect(ca.clientContext(), port, "site.test")) {
            return ((ExtendedSSLSession) socket.getSession()).getStatusResponses();
        }
    }

    private List<String> servedEventually(int port, byte[] expected) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        List<byte[]> served = staples(port);
        while (!(served.size() == 1 && Arrays.equals(served.get(0), expected)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            served = staples(port);
        }
        return served.stream().map(Arrays::toString).toList();
    }

    private static void replace(Path file, byte[] contents) throws Exception {
        Path next = Files.write(file.resolveSibling(file.getFileName() + ".next"), contents);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(3)));
    }

    private static String messages(Throwable failure) {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            text.append(cause.getMessage()).append('\n');
        }
        return text.toString();
    }
}
