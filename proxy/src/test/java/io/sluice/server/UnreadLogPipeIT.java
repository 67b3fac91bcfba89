package io.sluice.server;

import io.sluice.testing.SluiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sluice's log goes to stderr, which in a container is a pipe read by the runtime's log collector. When the
 * collector falls behind, the pipe fills (64 KiB) and a plain write to it waits. Each refused request logs a
 * line from its event loop, so before the log was written by a thread of its own, a client sending bad
 * requests faster than the collector read stopped every connection of that loop: here the loop stalled after
 * about 415 refusals, and so did every other client on it.
 */
class UnreadLogPipeIT {
    private static final int BAD_REQUESTS = 3000;

    @TempDir
    Path directory;

    @Test
    void aLogPipeNobodyReadsDoesNotStopTheEventLoop() throws Exception {
        try (SluiceProcess sluice = SluiceProcess.start(directory, """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:%d" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""", "", ProcessBuilder.Redirect.PIPE)) {
            List<Long> slow = new ArrayList<>();
            for (int i = 0; i < BAD_REQUESTS; i++) {
                long start = System.nanoTime();
                String answer = exchange(sluice.port(), "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
                if (!answer.startsWith("HTTP/1.1 400")) {
                    fail("bad request " + i + " got \"" + answer + "\"");
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (millis > 1000) {
                    slow.add(millis);
                }
            }
            assertTrue(slow.size() < 10, "refusals slower than 1 s: " + slow);
            String answer = exchange(sluice.port(), "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        }
    }

    /** Sends {@code request} on a new connection and reads until the server closes it; "" when it does not within 5 s. */
    private static String exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException e) {
            return "";
        }
    }
}
