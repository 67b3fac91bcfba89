package io.sluice.upstream;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyFailuresIT {
    private static TestBackend backend;

    @BeforeAll
    static void start() throws Exception {
        backend = new TestBackend();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** A loopback port that nothing listens on: connecting is refused at once. */
    private static String refusedAddress() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static RawHttp.Response get(RunningSluice sluice, String path) throws IOException {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            return raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
        }
    }

    @Test
    void refusedConnectionIs502() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(refusedAddress()), ""))) {
            RawHttp.Response response = get(sluice, "/hello");
            assertEquals(502, response.status());
            assertTrue(response.bodyText().contains("502"));
        }
    }

    @Test
    void connectTimeoutIs502WithinTheTimeout() throws Exception {
        // a listener that never accepts, with its accept queue full: further connection attempts hang
        try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            List<SocketChannel> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    SocketChannel filler = SocketChannel.open();
                    filler.configureBlocking(false);
                    filler.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()));
                    fillers.add(filler);
                }
                Thread.sleep(200);
                String config = ProxyConfigs.proxyTo("servers = [ { address = \"127.0.0.1:" + full.getLocalPort()
                        + "\" } ], connect-timeout = 300ms, retries = 0", "");
                try (RunningSluice sluice = RunningSluice.start(config)) {
                    long start = System.nanoTime();
                    RawHttp.Response response = get(sluice, "/hello");
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertEquals(502, response.status());
                    assertTrue(millis >= 250 && millis < 5000, "answered after " + millis + "ms");
                }
            } finally {
                for (SocketChannel filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void tlsServerThatNeverAnswersTheHandshakeIs502WithinConnectTimeout() throws Exception {
        // accepts the TCP connection (the kernel does) and never reads the ClientHello
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String config = ProxyConfigs.proxyTo("servers = [ { address = \"127.0.0.1:" + silent.getLocalPort()
                    + "\" } ], tls { verify = false }, connect-timeout = 500ms, retries = 0", "");
            try (RunningSluice sluice = RunningSluice.start(config)) {
                long start = System.nanoTime();
                RawHttp.Response response = get(sluice, "/hello");
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(502, response.status());
                assertTrue(millis >= 450 && millis < 3000, "connect-timeout covers the TLS handshake; answered after "
                        + millis + "ms");
            }
        }
    }

    @Test
    void hungBackendIs504AfterReadTimeout() throws Exception {
        String config = ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()) + ", read-timeout = 500ms", "");
        try (RunningSluice sluice = RunningSluice.start(config)) {
            long start = System.nanoTime();
            RawHttp.Response response = get(sluice, "/hang");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(504, response.status());
            assertTrue(millis >= 450 && millis < 5000, "answered after " + millis + "ms");
        }
    }

    @Test
    void resetMidBodyClosesTheClientConnection() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""));
             RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET /reset-mid-body HTTP/1.1\r\nHost: a\r\n\r\n");
            String all = raw.readUntilClosed();
            assertTrue(all.startsWith("HTTP/1.1 200"), all);
            assertTrue(all.contains("content-length: 100000"), all);
            int bodyLength = all.length() - all.indexOf("\r\n\r\n") - 4;
            assertTrue(bodyLength < 100_000, "the truncated body is followed by a close: " + bodyLength);
        }
    }

    @Test
    void closeBeforeResponseIs502AndNonIdempotentRequestsAreNotRepeated() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""))) {
            assertEquals(502, get(sluice, "/close").status());
            backend.requests.clear();
            try (RawHttp raw = new RawHttp(sluice.port())) {
                raw.send("POST /close HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
                assertEquals(502, raw.readResponse().status());
            }
            Thread.sleep(200);
            assertEquals(1, backend.requests.size(), "a POST whose body went out is not retried");
        }
    }

    @Test
    void ambiguousUpstreamFramingIs502() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""))) {
            assertEquals(502, get(sluice, "/ambiguous").status());
            assertEquals(200, get(sluice, "/hello").status());
        }
    }

    @Test
    void refusedServerIsRetriedOnTheNext() throws Exception {
        String config = ProxyConfigs.proxyTo(ProxyConfigs.servers(refusedAddress(), backend.address()), "");
        try (RunningSluice sluice = RunningSluice.start(config)) {
            assertEquals(2, sluice.server().config().upstreams().get("app").servers().size());
            for (int i = 0; i < 8; i++) {
                assertEquals(200, get(sluice, "/hello").status());
                try (RawHttp raw = new RawHttp(sluice.port())) {
                    raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
                    RawHttp.Response response = raw.readResponse();
                    assertEquals(200, response.status());
                    assertEquals(TestBytes.sha256Of("hello") + " 5", response.bodyText());
                }
            }
        }
    }

    @Test
    void backendThatReadsNoBodyIs504AfterSendTimeout() throws Exception {
        List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServerSocket deaf = new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    // held, never read: an unreferenced socket would be closed by its cleaner
                    accepted.add(deaf.accept());
                } catch (IOException ignored) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String config = ProxyConfigs.proxyTo("servers = [ { address = \"127.0.0.1:" + deaf.getLocalPort()
                    + "\" } ], send-timeout = 500ms, read-timeout = 30s", "", "limits { max-body-size = 200m }");
            try (RunningSluice sluice = RunningSluice.start(config); RawHttp raw = new RawHttp(sluice.port())) {
                int size = 64 << 20;
                raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                Thread uploader = new Thread(() -> {
                    try {
                        byte[] piece = new byte[1 << 20];
                        for (int sent = 0; sent < size; sent += piece.length) {
                            raw.send(piece);
                        }
                    } catch (IOException ignored) {
                        // the proxy may close once it has answered
                    }
                });
                uploader.setDaemon(true);
                uploader.start();
                assertEquals(504, raw.readResponse().status());
            } finally {
                for (java.net.Socket socket : accepted) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void clientLeavingMidDownloadClosesTheUpstreamConnection() throws Exception {
        try (RunningSluice sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address()), ""))) {
            try (RawHttp raw = new RawHttp(sluice.port())) {
                raw.send("GET /download/" + (200 << 20) + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, raw.readResponse().status());
            }
            Thread.sleep(300);
            UpstreamStats stats = sluice.server().upstreamStats().get(0);
            assertEquals(0, stats.idleConnections(), "a connection in mid-response is never pooled: " + stats);
            assertEquals(200, get(sluice, "/hello").status());
        }
    }
}
