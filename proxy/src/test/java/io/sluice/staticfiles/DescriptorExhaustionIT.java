package io.sluice.staticfiles;

import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A file that exists but cannot be opened for a passing reason (the process is out of descriptors) is
 * not absent: the request gets 503 and nothing is cached, so the file is served again as soon as
 * descriptors are free, not answered 404 until its entry expires. Sluice runs as its own process, whose
 * descriptor limit is lowered with {@code prlimit} to exactly what it has open.
 */
class DescriptorExhaustionIT {
    @TempDir
    Path site;

    @Test
    void aFileThatCannotBeOpenedForWantOfDescriptorsIs503AndNotCachedAsMissing() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        Files.writeString(root.resolve("warm.txt"), "warm");
        Files.createDirectories(root.resolve("warm"));
        Files.writeString(root.resolve("warm/index.html"), "warm index");
        Files.writeString(root.resolve("a.txt"), "served once descriptors are free");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<p>docs</p>");
        String config = """
                sluice {
                  workers = 1
                  access-log { format = off }
                  admin { listen = off }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "%s", open-file-cache { valid = 1h } } }
                  ] } ]
                }""".formatted(root);
        try (LaunchedSluice sluice = LaunchedSluice.start(config);
             RawHttp http = new RawHttp(sluice.port())) {
            // run every path once first: started from the test class path, a class not loaded yet needs a
            // descriptor to be read, so a first use with none left would fail for that reason instead
            assertEquals("warm", http.send("GET /warm.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText());
            assertEquals("warm index", http.send("GET /warm/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText());
            assertEquals(404, http.send("GET /missing.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status());
            String hard = hardDescriptorLimit(sluice.pid());
            assumeTrue(prlimit(sluice.pid(), lowestFreeDescriptor(sluice.pid()) + ":" + hard), "prlimit is not available");
            try {
                assertEquals(503, http.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status());
                assertEquals(503, http.send("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status(),
                        "an index file that cannot be opened does not make the directory look index-less (403)");
            } finally {
                assertEquals(true, prlimit(sluice.pid(), hard + ":" + hard));
            }
            RawHttp.Response again = http.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertEquals(200, again.status(), "the failure was not cached as an absent file");
            assertEquals("served once descriptors are free", again.bodyText());
            assertEquals("<p>docs</p>", http.send("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().bodyText());
        }
    }

    /** The kernel hands out the lowest free number, so a soft limit equal to it makes the next open fail. */
    private static int lowestFreeDescriptor(long pid) throws IOException {
        Set<Integer> open;
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            open = fds.map(fd -> Integer.parseInt(fd.getFileName().toString())).collect(Collectors.toSet());
        }
        int free = 0;
        while (open.contains(free)) {
            free++;
        }
        return free;
    }

    private static String hardDescriptorLimit(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
            if (line.startsWith("Max open files")) {
                return line.substring("Max open files".length()).trim().split("\\s+")[1];
            }
        }
        throw new IOException("no descriptor limit in /proc/" + pid + "/limits");
    }

    private static boolean prlimit(long pid, String limits) throws Exception {
        try {
            Process process = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + limits)
                    .redirectErrorStream(true).start();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
