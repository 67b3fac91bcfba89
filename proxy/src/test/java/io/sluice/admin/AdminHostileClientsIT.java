package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The admin listener is often exposed to a whole pod network for the kubelet's probes and Prometheus. Before
 * it had limits of its own, a client could hold any number of its connections for ever (a request head that
 * never ends, a kept-alive connection that never sends again): each cost a file descriptor shared with the
 * public listeners, and a body that never finished kept up to 64 KiB aggregated per connection.
 */
class AdminHostileClientsIT {
    private static final String CONFIG = """
            sluice {
              admin { listen = "127.0.0.1:0", request-timeout = 1s, max-connections = 4 }
              access-log { format = off }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
            }""";

    @Test
    void aRequestHeadThatNeverEndsIsClosedAtTheRequestTimeout() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG); Socket socket = connect(sluice)) {
            send(socket, "GET /healthz HTTP/1.1\r\nHost: admin\r\n");
            assertClosedWithin(socket, 5_000);
        }
    }

    @Test
    void aBodyThatNeverEndsIsClosedAtTheRequestTimeout() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG); Socket socket = connect(sluice)) {
            send(socket, "POST /reload HTTP/1.1\r\nHost: admin\r\nContent-Length: 60000\r\n\r\n" + "x".repeat(100));
            assertClosedWithin(socket, 5_000);
        }
    }

    @Test
    void aKeptAliveConnectionThatSendsNothingMoreIsClosed() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG); Socket socket = connect(sluice)) {
            send(socket, "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
            String answer = readAnswer(socket);
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertClosedWithin(socket, 5_000);
        }
    }

    @Test
    void connectionsOverTheLimitAreClosedAtOnceAndTheListenerAnswersWhenTheHoldersGo() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(CONFIG.replace("request-timeout = 1s", "request-timeout = 30s"))) {
            List<Socket> holders = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    holders.add(connect(sluice));
                }
                // the four are accepted before the fifth: each answers a request first
                for (Socket holder : holders) {
                    send(holder, "GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
                    assertTrue(readAnswer(holder).startsWith("HTTP/1.1 200"));
                }
                try (Socket extra = connect(sluice)) {
                    assertClosedWithin(extra, 3_000);
                }
            } finally {
                for (Socket holder : holders) {
                    holder.close();
                }
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (true) {
                try {
                    HttpResponse<String> health = sluice.get(sluice.adminUri("/healthz"));
                    assertEquals(200, health.statusCode());
                    break;
                } catch (IOException refusedWhileTheHoldersCloseOnTheServer) {
                    if (System.nanoTime() > deadline) {
                        throw refusedWhileTheHoldersCloseOnTheServer;
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    private static Socket connect(OperatedSluice sluice) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", sluice.adminPort()), 2_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one small answer whole: the admin sends its head and body in one write. */
    private static String readAnswer(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        byte[] buffer = new byte[8192];
        int read = socket.getInputStream().read(buffer);
        assertTrue(read > 0, "no answer");
        return new String(buffer, 0, read, StandardCharsets.US_ASCII);
    }

    private static void assertClosedWithin(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        try {
            while (in.read() != -1) {
                // a 408 or any other goodbye may come first; only the end counts
            }
        } catch (SocketTimeoutException e) {
            fail("the admin connection was still open after " + millis + " ms");
        } catch (IOException reset) {
            // a reset is an end too
        }
    }
}
