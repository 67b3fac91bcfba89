package io.sluice.server;

import io.sluice.testing.SluiceProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * More clients than the process's open-file limit allows (here 256, with the default max-connections of
 * 100,000). Accepting pauses for a second after each failed accept (Netty's acceptor does that, so the loop
 * does not spin on a listening socket that stays readable), the loop keeps serving the connections it has,
 * and the waiting clients are served once others leave. Before, each pause logged Netty's generic "reached
 * the tail of the pipeline" warning with a stack trace and no word of the limit or what to change.
 */
class OpenFileLimitIT {
    private static final int CLIENTS = 400;

    @TempDir
    Path directory;

    @Test
    void clientsPastTheOpenFileLimitWaitAndTheLogSaysWhatToChange() throws Exception {
        Path output = directory.resolve("sluice.out");
        try (SluiceProcess sluice = SluiceProcess.start(directory, """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:%d" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""", "ulimit -n 256;", ProcessBuilder.Redirect.to(output.toFile()))) {
            // one request first: loading a class from the test's class directory takes a file descriptor
            // (from the jar it does not), and a class that failed to load once stays failed in a JVM
            try (Socket first = new Socket()) {
                first.connect(new InetSocketAddress("127.0.0.1", sluice.port()), 2_000);
                assertEquals("HTTP/1.1 200", ask(first));
            }
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket client = new Socket();
                    client.connect(new InetSocketAddress("127.0.0.1", sluice.port()), 2_000); // the backlog takes them
                    clients.add(client);
                }
                double cpuBefore = sluice.cpuSeconds();
                Thread.sleep(3_000);
                double cpu = sluice.cpuSeconds() - cpuBefore;
                assertTrue(cpu < 1.5, "CPU while out of file descriptors: " + cpu + " s in 3 s");
                assertEquals("HTTP/1.1 200", ask(clients.get(0)), "an accepted connection is still served");
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            try (Socket late = new Socket()) {
                late.connect(new InetSocketAddress("127.0.0.1", sluice.port()), 2_000);
                late.setSoTimeout(5_000);
                assertEquals("HTTP/1.1 200", ask(late), "a client after the others left");
            }
        }
        String log = Files.readString(output);
        assertTrue(log.contains("Too many open files") && log.contains("open-file limit 256")
                && log.contains("limits.max-connections"), log);
        assertFalse(log.contains("reached at the tail of the pipeline"), log);
    }

    private static String ask(Socket client) throws IOException {
        client.setSoTimeout(5_000);
        client.getOutputStream().write("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] status = client.getInputStream().readNBytes(12);
        return new String(status, StandardCharsets.US_ASCII);
    }
}
