package io.sluice.upstream;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code limits.min-send-rate} holds for a WebSocket tunnel's client as for an HTTP response: a client that
 * reads a trickle of what the upstream sends moves bytes often enough that the tunnel's idle timeout never
 * runs out, and would keep the tunnel, its upstream connection and the bytes queued for it for ever. A client
 * that keeps up is left alone.
 */
class TunnelTrickleReaderIT {
    private static final String HANDSHAKE = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    /** 2.5 idle timeouts; the rate guard judges its first 5 s window about a second after it ends. */
    private static final long WAIT_SECONDS = 25;

    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/ws-flood", (request, socket, out) -> {
            respond(out, HANDSHAKE);
            byte[] chunk = new byte[16 * 1024];
            while (true) {
                out.write(chunk);
            }
        });
        // the trickle reader moves bytes well within the tunnel's idle timeout (read-timeout), and the test
        // watches for 2.5 times as long
        sluice = RunningSluice.start(ProxyConfigs.proxyTo(ProxyConfigs.servers(backend.address())
                + ", read-timeout = 10s", "", "limits { min-send-rate = 1m }").replace("workers = 2", "workers = 1"));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    private static Socket upgraded() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET /ws-flood HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the 101 ended: " + head);
            }
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 101 "), head.toString());
        return socket;
    }

    /**
     * Reads up to {@code bytesPerRead} every {@code pauseMillis} for at most {@code seconds}; returns the seconds
     * until Sluice closed the connection, or -1 if it was still open. Sluice's count of open connections says
     * when it closed: the client would read the bytes still in the socket buffers long after.
     */
    private static long readUntilClosed(Socket socket, int bytesPerRead, long pauseMillis, long seconds)
            throws Exception {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[bytesPerRead];
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (System.nanoTime() < deadline) {
                if (sluice.server().activeConnections() == 0 || in.read(buffer) < 0) {
                    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                }
                Thread.sleep(pauseMillis);
            }
        } catch (SocketException reset) {
            return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        }
        return -1;
    }

    @Test
    void aClientThatReadsATrickleIsDisconnectedBelowTheMinimumSendRate() throws Exception {
        try (Socket client = upgraded()) {
            // at most 200 KB/s, a fifth of the minimum, yet fast enough that the tunnel reads its upstream again
            // well within its idle timeout
            long closedAfter = readUntilClosed(client, 16 * 1024, 80, WAIT_SECONDS);
            assertTrue(closedAfter >= 0, "a tunnel client reading below min-send-rate is still connected "
                    + WAIT_SECONDS + " s on");
            assertTrue(closedAfter > 2, "closed after " + closedAfter + " s, before any rate window ended");
        }
    }

    @Test
    void aClientThatKeepsUpStaysConnected() throws Exception {
        try (Socket client = upgraded()) {
            long closedAfter = readUntilClosed(client, 64 * 1024, 0, 7);
            assertTrue(closedAfter < 0, "a tunnel client reading at full speed was disconnected after "
                    + closedAfter + " s");
        }
    }
}
