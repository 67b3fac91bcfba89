package io.sluice.admin;

import io.sluice.server.Launcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sluice -t -c new.conf --diff old.conf}: what a reload would change. */
class DryRunDiffTest {
    private static final String OLD = """
            sluice {
              upstreams { app { servers = [ { address = "10.0.0.1:80" }, { address = "10.0.0.2:80" } ] } }
              servers = [
                { listen = [ "127.0.0.1:8080" ], server-names = [ "a.example" ], locations = [
                    { match = "/", return { status = 200, body = "old" } }
                    { match = "/api/", proxy { upstream = app } }
                    { match = "/gone/", return { status = 410 } }
                ] }
                { listen = [ "127.0.0.1:8081" ], server-names = [ "retired.example" ], locations = [
                    { match = "/", return { status = 200 } } ] }
              ]
            }""";
    private static final String NEW = """
            sluice {
              upstreams { app { servers = [ { address = "10.0.0.1:80", weight = 3 }, { address = "10.0.0.3:80" } ] } }
              servers = [
                { listen = [ "127.0.0.1:8080" ], server-names = [ "a.example" ], locations = [
                    { match = "/", return { status = 200, body = "new" } }
                    { match = "/api/", proxy { upstream = app } }
                    { match = "~ \\\\.php$", return { status = 403 } }
                ] }
                { listen = [ "127.0.0.1:8082" ], server-names = [ "fresh.example" ], locations = [
                    { match = "/", return { status = 200 } } ] }
              ]
            }""";

    @Test
    void printsServersLocationsAndUpstreamServersAddedRemovedChanged(@TempDir Path dir) throws Exception {
        Path oldFile = Files.writeString(dir.resolve("old.conf"), OLD);
        Path newFile = Files.writeString(dir.resolve("new.conf"), NEW);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Launcher.diff(newFile, oldFile, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.get(0).endsWith("new.conf is ok"), lines.get(0));
        assertEquals(List.of(
                "~ server a.example location / (return 200: settings changed)",
                "+ server a.example location ~ \\.php$",
                "- server a.example location /gone/",
                "+ server fresh.example",
                "- server retired.example",
                "~ upstream server app 10.0.0.1:80 (weight/backup/tls changed)",
                "+ upstream server app 10.0.0.3:80",
                "- upstream server app 10.0.0.2:80"), lines.subList(1, lines.size()));
    }

    @Test
    void identicalFilesHaveNoChangesAndAnInvalidNewFileFails(@TempDir Path dir) throws Exception {
        Path oldFile = Files.writeString(dir.resolve("old.conf"), OLD);
        Path same = Files.writeString(dir.resolve("same.conf"), OLD);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(0, Launcher.diff(same, oldFile, new PrintStream(out, true, StandardCharsets.UTF_8), err));
        assertTrue(out.toString(StandardCharsets.UTF_8).endsWith("no changes\n"));

        Path broken = Files.writeString(dir.resolve("broken.conf"), "sluice { servers = [ { listen = 1 } ] }");
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        assertEquals(1, Launcher.diff(broken, oldFile, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(errors, true, StandardCharsets.UTF_8)));
        assertTrue(errors.toString(StandardCharsets.UTF_8).contains("broken.conf:1"), errors.toString(StandardCharsets.UTF_8));
    }
}
