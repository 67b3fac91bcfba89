package io.sluice.config;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every key the configuration loader knows is documented in {@code docs/configuration.md}. The keys are not
 * listed here by hand: an unknown key put into each block makes the loader name the keys it knows there,
 * so a key added to a block without a line in the reference fails this test.
 */
class DocumentedKeysTest {
    private static final String PROBE = "zzprobezz";
    private static final Pattern KNOWN = Pattern.compile("known here: ([^)]*)\\)");

    /** One configuration with every block; each {@code {slot}} is where a probe goes in turn. */
    private static final String TEMPLATE = """
            sluice {
              workers = 1
              {top}
              admin { listen = off {admin} }
              access-log { format = off {access-log} }
              limits { {limits} }
              blocking-pool { {blocking-pool} }
              http2 { {http2} }
              http3 { {http3} }
              readiness { {readiness} }
              reload { {reload} }
              cache { {cache} }
              compression { {compression} }
              rate-limit-zones { z { {rate-limit-zone} } }
              upstreams { app {
                servers = [ { address = "127.0.0.1:9000" {upstream-server} } ]
                keepalive { {keepalive} }
                resolver { {resolver} }
                tls { {upstream-tls} }
                passive-health { {passive-health} }
                health-check { {health-check} }
                retry-budget { {retry-budget} }
                queue { {queue} }
                {upstream}
              } }
              servers = [ {
                listen = [ { address = "127.0.0.1:0" {listen} } ]
                tls { certificates = [ { cert = "CERT", key = "KEY" {certificate} } ] {tls} }
                hsts { {hsts} }
                {server}
                locations = [
                  { match = "/s/", static { root = "ROOT", open-file-cache { {open-file-cache} } {static} } {location} }
                  { match = "/p/", proxy { upstream = app, request-headers { {request-headers} } {proxy} }
                    rate-limit { zone = z, rate = "10r/s" {rate-limit} }, limit-conn { zone = z, max = 10 {limit-conn} }, limits { {location-limits} } }
                  { match = "/", return { {return} } }
                ]
              } ]
            }""";

    private static SelfSignedCertificate certificate;

    @TempDir
    static Path directory;

    @BeforeAll
    static void makeCertificate() throws CertificateException {
        certificate = new SelfSignedCertificate("localhost", "EC", 256);
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.delete();
    }

    @Test
    void theConfigurationWithoutProbesLoads() {
        ConfigLoader.parse(render(null), directory);
    }

    @Test
    void everyKnownKeyOfEveryBlockIsInTheReference() throws Exception {
        String reference = Files.readString(Path.of("..", "docs", "configuration.md"));
        Map<String, List<String>> undocumented = new LinkedHashMap<>();
        for (String slot : slots()) {
            List<String> missing = new ArrayList<>();
            for (String key : knownKeys(slot)) {
                if (!documented(reference, key)) {
                    missing.add(key);
                }
            }
            if (!missing.isEmpty()) {
                undocumented.put(slot, missing);
            }
        }
        assertEquals(Map.of(), undocumented, "keys the loader knows but docs/configuration.md does not name");
    }

    private static boolean documented(String reference, String key) {
        // named in code, alone or in a dotted path: `key`, `block.key`, `key.child`, `key = value`, `key { }`
        return Pattern.compile("[`.]" + Pattern.quote(key) + "[`. =\\[{]").matcher(reference).find();
    }

    private static List<String> slots() {
        List<String> slots = new ArrayList<>();
        Matcher slot = Pattern.compile("\\{([a-z0-9-]+)}").matcher(TEMPLATE);
        while (slot.find()) {
            slots.add(slot.group(1));
        }
        return slots;
    }

    private static List<String> knownKeys(String slot) {
        try {
            ConfigLoader.parse(render(slot), directory);
        } catch (InvalidConfigException e) {
            for (String problem : e.problems()) {
                if (problem.contains(PROBE)) {
                    Matcher known = KNOWN.matcher(problem);
                    assertTrue(known.find(), problem);
                    return List.of(known.group(1).split(", "));
                }
            }
            fail("no problem names the probe in {" + slot + "}: " + e.problems());
        }
        return fail("a probe in {" + slot + "} was accepted");
    }

    private static String render(String probed) {
        String text = TEMPLATE.replace("CERT", certificate.certificate().getPath())
                .replace("KEY", certificate.privateKey().getPath())
                .replace("ROOT", directory.toString());
        for (String slot : slots()) {
            text = text.replace("{" + slot + "}", slot.equals(probed) ? "\n" + PROBE + " = 1\n" : "");
        }
        return text;
    }
}
