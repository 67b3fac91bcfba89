package io.sluice.server;

import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.RawHttp;
import io.sluice.upstream.TestBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a plain-HTTP process loads up to its first answers, read from the JVM's class-load log: the request
 * path, and none of what only TLS, compression, a JFR recording, host-name upstreams (Netty's DNS
 * resolver), response caching or metric exemplars need. Each of those costs start-up time (native
 * libraries unpacked and linked, JFR's event machinery generated, a DNS resolver per loop built on the
 * first upstream connection) that such a configuration never uses. A static location no request has
 * reached has no open-file cache yet (Caffeine, and the java.util.logging it starts), and the Date header
 * is written without Netty's calendar-based DateFormatter (a GregorianCalendar's first use loads the JDK's
 * CLDR locale data; this test's own log pattern loads that data anyway, so the formatter is what is checked).
 * Netty's channel ids take the process id Sluice read from procfs, not one from {@code ProcessHandle}, whose
 * initialisation generates method-handle classes.
 */
class StartupClassesIT {
    @TempDir
    Path root;

    @Test
    void plainHttpProxyingToIpLiteralsLoadsNoTlsCompressionJfrDnsCacheOrLocaleClasses() throws Exception {
        try (TestBackend backend = new TestBackend();
             LaunchedSluice sluice = LaunchedSluice.start("""
                     sluice {
                       workers = 1
                       admin { listen = off }
                       access-log { format = off }
                       upstreams { app { servers = [ { address = "%s" } ] } }
                       servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                         { match = "/app/", proxy { upstream = app } }
                         { match = "/files/", static { root = "%s" } }
                         { match = "/", return { body = "ok" } }
                       ] } ]
                     }""".formatted(backend.address(), root))) {
            try (RawHttp client = new RawHttp(sluice.port())) {
                assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                assertEquals(200, client.send("GET /app/x HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
            assertEquals("/app/x", backend.requests.poll(10, TimeUnit.SECONDS).uri(), "the request was proxied");
            Set<String> loaded = sluice.loadedClasses();
            assertTrue(loaded.contains("io.sluice.routing.RequestDispatcher"), "the log covers the request path");
            assertTrue(loaded.contains("io.sluice.upstream.UpstreamConnection"), "the log covers the upstream connection");
            for (String unwanted : new String[] {
                    "io.netty.handler.ssl.OpenSsl", "io.netty.internal.tcnative.SSL",
                    "com.aayushatharva.brotli4j.Brotli4jLoader", "com.github.luben.zstd.util.Native",
                    "jdk.jfr.internal.MetadataRepository", "io.netty.resolver.dns.DnsNameResolver",
                    "io.sluice.cache.ResponseCache", "io.prometheus.metrics.model.registry.PrometheusRegistry",
                    "com.github.benmanes.caffeine.cache.Caffeine", "java.util.logging.LogManager",
                    "io.netty.handler.codec.DateFormatter", "java.lang.ProcessHandleImpl"}) {
                assertFalse(loaded.contains(unwanted), unwanted + " was loaded");
            }
        }
    }
}
