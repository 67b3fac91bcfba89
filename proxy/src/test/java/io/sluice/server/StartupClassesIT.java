package io.sluice.server;

import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.util.Set;

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
    @Test
    void plainHttpLoadsNoTlsCompressionOrJfrClasses() throws Exception {
        try (LaunchedSluice sluice = LaunchedSluice.start("""
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  upstreams { app { servers = [ { address = "127.0.0.1:9" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/app/", proxy { upstream = app } }
                    { match = "/", return { body = "ok" } }
                  ] } ]
                }""")) {
            try (RawHttp client = new RawHttp(sluice.port())) {
                assertEquals(200, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
            Set<String> loaded = sluice.loadedClasses();
            assertTrue(loaded.contains("io.sluice.routing.RequestDispatcher"), "the log covers the request path");
            for (String unwanted : new String[] {
                    "io.netty.handler.ssl.OpenSsl", "io.netty.internal.tcnative.SSL",
                    "com.aayushatharva.brotli4j.Brotli4jLoader", "com.github.luben.zstd.util.Native",
                    "jdk.jfr.internal.MetadataRepository"}) {
                assertFalse(loaded.contains(unwanted), unwanted + " was loaded");
            }
        }
    }
}
