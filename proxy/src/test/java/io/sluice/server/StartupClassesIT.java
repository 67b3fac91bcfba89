package io.sluice.server;

import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a plain-HTTP process loads up to its first answer, read from the JVM's class-load log: the request
 * path, and none of what only TLS, compression or a JFR recording needs. Each of those costs start-up time
 * (native libraries unpacked and linked, JFR's event machinery generated) that such a configuration never
 * uses.
 */
class StartupClassesIT {
    private static final Pattern PORT = Pattern.compile("listening on \\{127\\.0\\.0\\.1:0=(\\d+)}");

    @Test
    void plainHttpLoadsNoTlsCompressionOrJfrClasses() throws Exception {
        Path dir = Files.createTempDirectory("sluice-startup");
        Path config = dir.resolve("sluice.conf");
        Path classLog = dir.resolve("classes.log");
        Path output = dir.resolve("sluice.out");
        Files.writeString(config, """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  upstreams { app { servers = [ { address = "127.0.0.1:9" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/app/", proxy { upstream = app } }
                    { match = "/", return { body = "ok" } }
                  ] } ]
                }""");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load:file=" + classLog, "-cp", System.getProperty("java.class.path"), "io.sluice.Main",
                "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            int port = awaitPort(output);
            try (RawHttp client = new RawHttp(port)) {
                assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
            Set<String> loaded = loadedClasses(classLog);
            assertTrue(loaded.contains("io.sluice.routing.RequestDispatcher"), "the log covers the request path");
            for (String unwanted : new String[] {
                    "io.netty.handler.ssl.OpenSsl", "io.netty.internal.tcnative.SSL",
                    "com.aayushatharva.brotli4j.Brotli4jLoader", "com.github.luben.zstd.util.Native",
                    "jdk.jfr.internal.MetadataRepository"}) {
                assertFalse(loaded.contains(unwanted), unwanted + " was loaded");
            }
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static int awaitPort(Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Matcher port = PORT.matcher(Files.readString(output));
            if (port.find()) {
                return Integer.parseInt(port.group(1));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no start within 30 s: " + Files.readString(output));
    }

    /** Class names from {@code -Xlog:class+load} lines: {@code [0.123s][info][class,load] NAME source: ...}. */
    private static Set<String> loadedClasses(Path classLog) throws Exception {
        Set<String> names = new HashSet<>();
        for (String line : Files.readAllLines(classLog)) {
            int start = line.indexOf("] ", line.indexOf("[class,load]"));
            int end = line.indexOf(" source:", start);
            if (start > 0 && end > start) {
                names.add(line.substring(start + 2, end));
            }
        }
        return names;
    }
}
