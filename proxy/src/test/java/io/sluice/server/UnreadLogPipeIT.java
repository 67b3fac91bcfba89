package io.sluice.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Sluice's log goes to stderr, which in a container is a pipe read by the runtime's log collector. When the
 * collector falls behind, the pipe fills (64 KiB) and a plain write to it waits. Each refused request logs a
 * line from its event loop, so before the log was written by a thread of its own, a client sending bad
 * requests faster than the collector read stopped every connection of that loop: here the loop stalled after
 * about 500 refusals, and so did every other client on it.
 */
class UnreadLogPipeIT {
    private static final int BAD_REQUESTS = 3000;

    @TempDir
    Path directory;

    @Test
    void aLogPipeNobodyReadsDoesNotStopTheEventLoop() throws Exception {
        int port = freePort();
        Path config = directory.resolve("sluice.conf");
        Files.writeString(config, """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:%d" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""".formatted(port));
        // the main classes and libraries without the test classes, so that Sluice sets up its own log
        // (test-classes holds logback-test.xml, which would take over)
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        Process sluice = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "io.sluice.Main", "-c", config.toString()))
                .redirectErrorStream(true).start(); // its output is a pipe this test never reads
        try {
            awaitListening(port, sluice);
            List<Long> slow = new ArrayList<>();
            for (int i = 0; i < BAD_REQUESTS; i++) {
                long start = System.nanoTime();
                String answer = exchange(port, "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
                if (!answer.startsWith("HTTP/1.1 400")) {
                    fail("bad request " + i + " got \"" + answer + "\"");
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (millis > 1000) {
                    slow.add(millis);
                }
            }
            assertTrue(slow.size() < 10, "refusals slower than 1 s: " + slow);
            String answer = exchange(port, "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        } finally {
            sluice.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Sends {@code request} on a new connection and reads until the server closes it; "" when it does not within 5 s. */
    private static String exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (java.net.SocketTimeoutException e) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitListening(int port, Process sluice) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && sluice.isAlive()) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        fail("Sluice did not listen on " + port + " within 30 s (alive: " + sluice.isAlive() + ")");
    }
}
