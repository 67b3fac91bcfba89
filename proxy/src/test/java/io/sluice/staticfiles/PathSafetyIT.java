package io.sluice.staticfiles;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests that try to leave the root, reach hidden files or follow links out, and the layout rules:
 * directory redirects, index files, listings and the single-page-app fallback.
 */
class PathSafetyIT {
    private static final String SECRET = "TOP-SECRET-OUTSIDE-ROOT";

    @TempDir
    static Path site;
    static Path root;
    static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(site.resolve("public"));
        Files.writeString(site.resolve("secret.txt"), SECRET);
        Files.createDirectories(site.resolve("outside-dir"));
        Files.writeString(site.resolve("outside-dir/inner.txt"), SECRET);
        Files.writeString(root.resolve("a.txt"), "inside a");
        Files.writeString(root.resolve("index.html"), "<p>spa shell</p>");
        Files.writeString(root.resolve(".env"), "PASSWORD=" + SECRET);
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), SECRET);
        Files.createDirectories(root.resolve(".well-known"));
        Files.writeString(root.resolve(".well-known/acme.txt"), "token");
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<p>docs</p>");
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve("sp ace"));
        Files.createDirectories(root.resolve("list/sub"));
        Files.writeString(root.resolve("list/<b>&x.txt"), "12345");
        Files.writeString(root.resolve("list/b.txt"), "1");
        Files.writeString(root.resolve("list/.hidden"), "h");
        Files.createSymbolicLink(root.resolve("link-out.txt"), site.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("dir-out"), site.resolve("outside-dir"));
        Files.createSymbolicLink(root.resolve("link-in.txt"), root.resolve("a.txt"));
        Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/static/", static { root = "public" } }
                    { match = "/deny/", static { root = "public", symlinks = "deny" } }
                    { match = "/follow/", static { root = "public", symlinks = "follow" } }
                    { match = "/dots/", static { root = "public", dotfiles = "allow" } }
                    { match = "/auto/", static { root = "public", autoindex = true } }
                    { match = "/app/", static { root = "public", fallback = "/index.html" } }
                    { match = "= /exact.txt", static { root = "public/docs/../" } }
                  ] } ]
                }""", site);
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    private static RawHttp.Response get(String target) throws Exception {
        try (RawHttp http = new RawHttp(sluice.port())) {
            RawHttp.Response response = http.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").readResponse();
            assertTrue(response != null, target);
            return response;
        }
    }

    @Test
    void traversalProbesNeverReachOutsideTheRoot() throws Exception {
        List<String> probes = List.of(
                "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt",
                "/static/..%2fsecret.txt", "/static/..%2Fsecret.txt", "/static/%2e%2e%2fsecret.txt",
                "/static/%252e%252e/secret.txt", "/static/%252e%252e%252fsecret.txt",
                "/static/..\\secret.txt", "/static/..%5csecret.txt", "/static/%5c..%5csecret.txt",
                "/static/%c0%ae%c0%ae/secret.txt", "/static/%c0%af..%c0%afsecret.txt", "/static/%e0%80%ae%e0%80%ae/secret.txt",
                "/static/../../../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                "/static/....//secret.txt", "/static/./../secret.txt", "//static/../secret.txt",
                "/static/a.txt%00", "/static/%00../secret.txt", "/static/%0a", "/static/..;/secret.txt",
                "http://x/static/../secret.txt", "/static/dir-out/inner.txt", "/static/link-out.txt",
                "/deny/link-in.txt", "/deny/dir-out/inner.txt", "/static/pipe", "/static/.env", "/static/.git/config",
                "/static/a.txt/", "/static/a.txt/..%2f..%2fsecret.txt", "/static/%2e%2e", "/static/dir-out/../../secret.txt");
        for (String probe : probes) {
            RawHttp.Response response = get(probe);
            assertTrue(response.status() == 400 || response.status() == 404, probe + " → " + response.status());
            assertFalse(response.bodyText().contains(SECRET), probe);
            assertFalse(response.bodyText().contains(site.toString()), probe + " reveals the file system path");
        }
    }

    @Test
    void encodedSeparatorsAndBackslashesAreBadRequests() throws Exception {
        assertEquals(400, get("/static/docs%2findex.html").status());
        assertEquals(400, get("/static/docs%5Cindex.html").status());
        assertEquals(400, get("/static/docs\\index.html").status());
    }

    @Test
    void symlinkPolicies() throws Exception {
        assertEquals("inside a", get("/static/link-in.txt").bodyText(), "inside-root allows links that stay inside");
        assertEquals(404, get("/static/link-out.txt").status(), "inside-root refuses links that leave");
        assertEquals(404, get("/deny/link-in.txt").status(), "deny refuses every link");
        assertEquals("inside a", get("/deny/a.txt").bodyText());
        assertEquals(SECRET, get("/follow/link-out.txt").bodyText(), "follow trusts the links");
    }

    @Test
    void dotfilesAreHiddenUnlessAllowedButWellKnownIsServed() throws Exception {
        assertEquals(404, get("/static/.env").status());
        assertEquals(404, get("/static/.git/config").status());
        assertEquals("token", get("/static/.well-known/acme.txt").bodyText());
        assertEquals("PASSWORD=" + SECRET, get("/dots/.env").bodyText());
    }

    @Test
    void onlyRegularFilesAreServed() throws Exception {
        assertEquals(404, get("/static/pipe").status());
    }

    @Test
    void directoriesRedirectToTheSlashFormKeepingTheQuery() throws Exception {
        RawHttp.Response plain = get("/static/docs");
        assertEquals(301, plain.status());
        assertEquals("/static/docs/", plain.header("location"));
        RawHttp.Response query = get("/static/docs?a=1&b=%20");
        assertEquals(301, query.status());
        assertEquals("/static/docs/?a=1&b=%20", query.header("location"));
        RawHttp.Response encoded = get("/static/sp%20ace");
        assertEquals(301, encoded.status());
        assertEquals("/static/sp%20ace/", encoded.header("location"));
        RawHttp.Response slashes = get("//static//docs");
        assertEquals(301, slashes.status());
        assertEquals("/static/docs/", slashes.header("location"), "never a protocol-relative //host redirect");
    }

    @Test
    void indexListingOrForbidden() throws Exception {
        assertEquals("<p>docs</p>", get("/static/docs/").bodyText());
        assertEquals("<p>spa shell</p>", get("/static/").bodyText());
        assertEquals(403, get("/static/empty/").status());
        RawHttp.Response listing = get("/auto/list/");
        assertEquals(200, listing.status());
        assertEquals("text/html; charset=utf-8", listing.header("content-type"));
        String html = listing.bodyText();
        assertTrue(html.contains("<a href=\"%3Cb%3E%26x.txt\">&lt;b&gt;&amp;x.txt</a>"), html);
        assertFalse(html.contains("<b>&x"), html);
        assertFalse(html.contains(".hidden"), html);
        assertTrue(html.indexOf("sub/") < html.indexOf("&lt;b") && html.indexOf("&lt;b") < html.indexOf("b.txt"), html);
        assertTrue(html.contains("<td>5</td>"), html);
        assertTrue(html.contains("href=\"../\""), html);
        assertFalse(html.contains(site.toString()), html);
    }

    @Test
    void fallbackServesTheAppShellForUnknownPaths() throws Exception {
        assertEquals("<p>spa shell</p>", get("/app/some/client/route").bodyText());
        assertEquals("<p>spa shell</p>", get("/app/missing.js").bodyText());
        assertEquals("inside a", get("/app/a.txt").bodyText());
        assertEquals(404, get("/app/.env").status(), "hidden files are refused before the fallback");
        assertEquals(404, get("/static/missing.txt").status());
    }

    @Test
    void exactLocationsServeTheirPathBelowTheRoot() throws Exception {
        Files.writeString(root.resolve("exact.txt"), "exact");
        assertEquals("exact", get("/exact.txt").bodyText());
        assertEquals(404, get("/exact.txt/").status());
    }
}
