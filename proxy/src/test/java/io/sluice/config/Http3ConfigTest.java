package io.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Http3ConfigTest {
    @TempDir
    Path dir;

    private String config(String listen, String tls, String http3) throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "placeholder");
        Files.writeString(dir.resolve("key.pem"), "placeholder");
        return """
                sluice {
                  %s
                  servers = [ { listen = [ %s ]
                    %s
                    locations = [ { match = "/", return { status = 200 } } ] } ]
                }""".formatted(http3, listen, tls);
    }

    private static final String TLS = "tls { certificates = [ { cert = \"cert.pem\", key = \"key.pem\" } ] }";

    private List<String> problems(String text) {
        return assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(text, dir)).problems();
    }

    @Test
    void aTcpAndAUdpListenerShareAnAddressWithTheBlocksCertificates() throws Exception {
        SluiceConfig config = ConfigLoader.parse(config("""
                { address = "0.0.0.0:8443", tls = true, http2 = true }, { address = "0.0.0.0:8443", http3 = true }""",
                TLS, ""), dir);
        List<ListenConfig> listen = config.servers().get(0).listen();
        assertFalse(listen.get(0).http3());
        assertTrue(listen.get(1).http3());
        assertEquals("0.0.0.0:8443", listen.get(0).socketKey());
        assertEquals("udp/0.0.0.0:8443", listen.get(1).socketKey());
        assertEquals(new Http3Config(128, Duration.ofSeconds(60), 8L << 20, 1L << 20), config.http3());
    }

    @Test
    void limitsAreConfigurable() throws Exception {
        SluiceConfig config = ConfigLoader.parse(config("{ address = \"0.0.0.0:8443\", http3 = true }", TLS,
                "http3 { max-concurrent-streams = 16, idle-timeout = 10s, max-data = 4m, max-stream-data = 256k }"), dir);
        assertEquals(new Http3Config(16, Duration.ofSeconds(10), 4L << 20, 256L << 10), config.http3());
    }

    @Test
    void http3WithoutCertificatesIsAnError() throws Exception {
        List<String> problems = problems(config("{ address = \"0.0.0.0:8443\", http3 = true }", "", ""));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("an http3 = true listener needs a tls { certificates"), problems.get(0));
    }

    @Test
    void http3WithAnEmptyCertificateListIsAnError() throws Exception {
        List<String> problems = problems(config("{ address = \"0.0.0.0:8443\", http3 = true }",
                "tls { certificates = [] }", ""));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("an http3 = true listener needs a tls { certificates"), problems.get(0));
    }

    @Test
    void http3NeedsTls13() throws Exception {
        String tls12 = TLS.replace("}] }", "}], protocols = [ \"TLSv1.2\" ] }")
                .replace("} ] }", "} ], protocols = [ \"TLSv1.2\" ] }");
        List<String> problems = problems(config("{ address = \"0.0.0.0:8443\", http3 = true }", tls12, ""));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("protocols must include TLSv1.3"), problems.get(0));
    }

    @Test
    void tcpOptionsOnAnHttp3ListenerAreAnError() throws Exception {
        List<String> problems = problems(config("{ address = \"0.0.0.0:8443\", tls = true, http3 = true }", TLS, ""));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("an http3 listener is a UDP socket"), problems.get(0));
    }

    @Test
    void theSameUdpAddressTwiceInABlockIsAnError() throws Exception {
        List<String> problems = problems(config(
                "{ address = \"0.0.0.0:8443\", http3 = true }, { address = \"0.0.0.0:8443\", http3 = true }", TLS, ""));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("duplicate listen address"), problems.get(0));
    }

    @Test
    void badLimitsAreErrors() throws Exception {
        List<String> problems = problems(config("{ address = \"0.0.0.0:8443\", http3 = true }", TLS,
                "http3 { max-concurrent-streams = 0, max-data = 64k, max-stream-data = 1m }"));
        assertEquals(2, problems.size(), problems.toString());
    }
}
