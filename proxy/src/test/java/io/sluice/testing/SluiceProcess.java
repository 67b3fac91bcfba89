package io.sluice.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Sluice as its own JVM ({@code io.sluice.Main}) set up as a user runs it: the main classes and libraries
 * without the test classes, so that it makes its own log (test-classes holds {@code logback-test.xml}, which
 * would take over). The configuration's listen address is {@code 127.0.0.1:PORT}, with a port picked here.
 */
public final class SluiceProcess implements AutoCloseable {
    private final Process process;
    private final int port;

    private SluiceProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts Sluice with {@code config} (its {@code %d} is the port) through {@code shellPrefix} (e.g.
     * {@code ulimit -n 200;}, or empty) and returns once the port takes connections. {@code output} is where
     * stdout and stderr go: a file, or {@link ProcessBuilder.Redirect#PIPE} for a pipe nobody reads.
     */
    public static SluiceProcess start(Path directory, String config, String shellPrefix, ProcessBuilder.Redirect output)
            throws IOException, InterruptedException {
        int port = freePort();
        Path file = directory.resolve("sluice.conf");
        Files.writeString(file, config.formatted(port));
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        // --add-opens: what the jar's manifest grants, so that the classes run as they do from the jar
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens", "java.base/sun.nio.fs=ALL-UNNAMED", "-cp", classPath, "io.sluice.Main", "-c",
                file.toString()));
        // exec keeps one process: the pid is Sluice's own, and a limit set by the prefix is its own too
        Process process = new ProcessBuilder(withShell(shellPrefix, java)).redirectErrorStream(true)
                .redirectOutput(output).start();
        SluiceProcess sluice = new SluiceProcess(process, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return sluice;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        sluice.close();
        throw new AssertionError("Sluice did not listen on " + port + " within 30 s");
    }

    private static List<String> withShell(String shellPrefix, List<String> java) {
        List<String> command = new ArrayList<>(List.of("bash", "-c", shellPrefix + " exec \"$0\" \"$@\""));
        command.addAll(java);
        return command;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** CPU seconds the process has used (utime + stime from {@code /proc/PID/stat}, 100 ticks a second). */
    public double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
