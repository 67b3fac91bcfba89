package io.sluice.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Sluice started as its own JVM ({@code io.sluice.Main -c FILE} on the test class path) with the JVM's
 * class-load log, for tests of what a start loads. The configuration's first listen address must be
 * {@code 127.0.0.1:0}; {@link #port()} is the port the kernel picked for it.
 */
public final class LaunchedSluice implements AutoCloseable {
    private static final Pattern PORT = Pattern.compile("listening on \\{127\\.0\\.0\\.1:0=(\\d+)[,}]");

    private final Path directory;
    private final Path classLog;
    private final Path output;
    private final Process process;
    private final int port;

    private LaunchedSluice(Path directory, Path classLog, Path output, Process process, int port) {
        this.directory = directory;
        this.classLog = classLog;
        this.output = output;
        this.process = process;
        this.port = port;
    }

    /** Starts Sluice with {@code config} and returns once it has logged its listening port. */
    public static LaunchedSluice start(String config) throws IOException, InterruptedException {
        return start(config, List.of());
    }

    /** As {@link #start(String)}, with {@code jvmOptions} before the class-load log option. */
    public static LaunchedSluice start(String config, List<String> jvmOptions) throws IOException, InterruptedException {
        return start(config, jvmOptions, Map.of());
    }

    /** As {@link #start(String, List)}, with {@code environment} added to (or replacing in) this JVM's. */
    public static LaunchedSluice start(String config, List<String> jvmOptions, Map<String, String> environment)
            throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory("sluice-launched");
        Path file = directory.resolve("sluice.conf");
        Path classLog = directory.resolve("classes.log");
        Path output = directory.resolve("sluice.out");
        Files.writeString(file, config);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        // --add-opens: what the jar's manifest grants, so that the classes run as they do from the jar
        command.addAll(List.of("--add-opens", "java.base/sun.nio.fs=ALL-UNNAMED"));
        command.addAll(List.of("-Xlog:class+load:file=" + classLog, "-cp", System.getProperty("java.class.path"),
                "io.sluice.Main", "-c", file.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Matcher port = PORT.matcher(Files.readString(output));
            if (port.find()) {
                return new LaunchedSluice(directory, classLog, output, process, Integer.parseInt(port.group(1)));
            }
            Thread.sleep(50);
        }
        String log = Files.readString(output);
        stop(process);
        delete(directory);
        throw new AssertionError("Sluice did not start within 30 s: " + log);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Replaces the configuration file (atomically, by a rename), for a reload. */
    public void rewrite(String config) throws IOException {
        Path next = directory.resolve("sluice.conf.next");
        Files.writeString(next, config);
        Files.move(next, directory.resolve("sluice.conf"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** What the process has written to standard output and error so far (its log). */
    public String output() throws IOException {
        return Files.readString(output);
    }

    /** Names of the classes loaded so far, from {@code [0.123s][info][class,load] NAME source: ...} lines. */
    public Set<String> loadedClasses() throws IOException {
        return new HashSet<>(loadOrder());
    }

    /** Names of the classes loaded so far, in the order the JVM loaded them. */
    public List<String> loadOrder() throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(classLog)) {
            int start = line.indexOf("] ", line.indexOf("[class,load]"));
            int end = line.indexOf(" source:", start);
            if (start > 0 && end > start) {
                names.add(line.substring(start + 2, end));
            }
        }
        return names;
    }

    @Override
    public void close() throws IOException {
        stop(process);
        delete(directory);
    }

    /** Asks the process to end, and ends it forcibly if it has not within 20 s or the wait is interrupted. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (process.waitFor(20, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroyForcibly();
    }

    private static void delete(Path directory) throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
