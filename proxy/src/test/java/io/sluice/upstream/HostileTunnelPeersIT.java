package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A WebSocket tunnel whose one side stops reading: the other side is read no further than the tunnel's buffers
 * (backpressure), and once the tunnel ends (no byte moved for the upstream's read-timeout) the side that does
 * not read is closed too, instead of being held open by the bytes queued for it.
 */
class HostileTunnelPeersIT {
    private static final String HANDSHAKE = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    private static final long BOUND = 32L << 20;

    private static ScriptedBackend backend;
    private static RunningSluice sluice;
    private static final AtomicLong backendWrote = new AtomicLong();
    private static final CountDownLatch floodEnded = new CountDownLatch(1);

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/ws-flood", (request, socket, out) -> {
            respond(out, HANDSHAKE);
            byte[] chunk = new byte[64 * 1024];
            try {
                while (true) {
                    out.write(chunk);
                    backendWrote.addAndGet(chunk.length);
                }
            } catch (IOException closedByProxy) {
                floodEnded.countDown();
            }
            return false;
        });
        backend.on("/ws-deaf", (request, socket, out) -> {
            respond(out, HANDSHAKE);
            Thread.sleep(30_000);
            return false;
        });
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", read-timeout = 1s", "").replace("workers = 2", "workers = 1"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    private static Socket upgraded(String path) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** Polls Sluice's count of open client connections: the test's client keeps its end open and never reads. */
    private static void assertNoClientConnectionWithin(long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (sluice.server().activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, sluice.server().activeConnections(),
                "a client connection that does not read is still open " + seconds + " s on");
    }

    @Test
    void clientThatNeverReadsIsClosedWhenTheTunnelGoesIdle() throws Exception {
        try (Socket client = upgraded("/ws-flood")) {
            assertTrue(floodEnded.await(10, TimeUnit.SECONDS), "the upstream is still connected");
            assertTrue(backendWrote.get() < BOUND, "the tunnel read on while the client did not: " + backendWrote);
            assertNoClientConnectionWithin(10);
        }
    }

    @Test
    void clientWritingToAnUpstreamThatNeverReadsIsHeldBackAndThenClosed() throws Exception {
        try (Socket client = upgraded("/ws-deaf")) {
            InputStream in = client.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 101"), head);
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    OutputStream out = client.getOutputStream();
                    while (written.get() < 4 * BOUND) {
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException closedBySluice) {
                    // the end the test waits for
                }
            }, "tunnel-writer");
            writer.setDaemon(true);
            writer.start();
            writer.join(10_000);
            assertTrue(written.get() < BOUND, "the tunnel took " + written + " bytes the upstream did not read");
            assertTrue(in.read() < 0, "the tunnel is closed");
        } catch (java.net.SocketException reset) {
            // a reset is a close as well
        }
    }
}
