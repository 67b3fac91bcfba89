package io.sluice.server;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShutdownIT {
    private static final int BODY = 32 << 20;

    @Test
    void inFlightResponseCompletesWhileNewConnectionsAreRefused() throws Exception {
        RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  shutdown-timeout = 20s
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/big", return { body = "%s" } }
                    { match = "/", return { body = "ok" } }
                  ] } ]
                }""".formatted("x".repeat(BODY)));
        int port = sluice.port();
        try (Socket slow = new Socket("127.0.0.1", port); RawHttp idle = new RawHttp(port)) {
            assertEquals(200, idle.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            slow.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = slow.getInputStream();
            byte[] first = in.readNBytes(16);
            assertTrue(new String(first, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(sluice.server()::shutdown);
            Thread.sleep(300);
            assertTrue(idle.isClosedByServer(), "idle keep-alive connections close at once");
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
                    "new connections are refused while draining");
            assertTrue(!shutdown.isDone(), "shutdown waits for the response in flight");

            long received = first.length + in.transferTo(OutputStreamSink.INSTANCE);
            assertTrue(received > BODY, "the whole in-flight response arrives: " + received);
            shutdown.get(10, TimeUnit.SECONDS);
        }
    }

    /** One server on an ephemeral port answering "ok"; no admin listener. */
    private static final String ANSWERING_OK = """
            sluice {
              admin { listen = off }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
            }""";

    @Test
    void sigtermDrainsAndExitsZero() throws Exception {
        Path config = Files.createTempFile("sluice", ".conf");
        Files.writeString(config, ANSWERING_OK);
        Path output = Files.createTempFile("sluice", ".out");
        Process process = launch(config, output);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.readString(output).contains("sluice started") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Files.readString(output).contains("sluice started"), Files.readString(output));
            process.destroy();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "process did not stop after SIGTERM");
            String log = Files.readString(output);
            assertEquals(0, process.exitValue(), log);
            assertTrue(log.contains("stopped"), log);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(config);
            Files.deleteIfExists(output);
        }
    }

    @Test
    void sighupReloadsTheFileAndTheNextRequestSeesIt() throws Exception {
        Path config = Files.createTempFile("sluice", ".conf");
        String text = """
                sluice {
                  admin { listen = off }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "%s" } } ] } ]
                }""";
        Files.writeString(config, text.formatted("before"));
        Path output = Files.createTempFile("sluice", ".out");
        // SIGHUP back to its default for the child even when this build runs under nohup, which the child inherits
        Process process = launch(config, output, "env", "--default-signal=HUP");
        try {
            String log = awaitLog(output, "sluice started");
            Matcher listening = Pattern.compile("127\\.0\\.0\\.1:0=(\\d+)").matcher(log);
            assertTrue(listening.find(), log);
            int port = Integer.parseInt(listening.group(1));
            try (RawHttp client = new RawHttp(port)) {
                assertEquals("before", client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText());
            }
            Files.writeString(config, text.formatted("after"));
            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start();
            assertEquals(0, hup.waitFor());
            awaitLog(output, "SIGHUP: reloading");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String body;
            do {
                Thread.sleep(50);
                try (RawHttp client = new RawHttp(port)) {
                    body = client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText();
                }
            } while (!body.equals("after") && System.nanoTime() < deadline);
            assertEquals("after", body, Files.readString(output));
            assertTrue(process.isAlive(), "SIGHUP reloads; it does not stop the process");
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(config);
            Files.deleteIfExists(output);
        }
    }

    /**
     * Started with SIGHUP ignored (as {@code nohup} starts it), the JVM cannot install Sluice's handler: before, a
     * SIGHUP then did nothing without a word. Now the start says so and what to do instead.
     */
    @Test
    void aProcessStartedWithSighupIgnoredSaysReloadsNeedTheAdminEndpoint() throws Exception {
        Path config = Files.createTempFile("sluice", ".conf");
        Files.writeString(config, ANSWERING_OK);
        Path output = Files.createTempFile("sluice", ".out");
        Process process = launch(config, output, "env", "--ignore-signal=HUP");
        try {
            String log = awaitLog(output, "sluice started");
            assertTrue(log.contains("SIGHUP was ignored when this process started (nohup?) and stays ignored: "
                    + "reload with POST /reload on the admin listener instead"), log);
            assertFalse(log.contains("SIGUSR1 was ignored"), log);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(config);
            Files.deleteIfExists(output);
        }
    }

    /** Starts Sluice on {@code config} in a JVM of its own, behind {@code wrapper} (a command and its options). */
    private static Process launch(Path config, Path output, String... wrapper) throws IOException {
        List<String> command = new ArrayList<>(List.of(wrapper));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.sluice.Main", "-c", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private static String awaitLog(Path output, String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.readString(output).contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        String log = Files.readString(output);
        assertTrue(log.contains(line), "no \"" + line + "\" in:\n" + log);
        return log;
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }

    @Test
    void refusedConnectionsAfterShutdown() throws IOException {
        RunningSluice sluice = RunningSluice.start("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ] }""");
        int port = sluice.port();
        sluice.server().shutdown();
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    }
}
