package io.sluice.upstream;

import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.ProxyConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamConfigTest {
    private static final Path BASE = Path.of("/etc/sluice");

    @Test
    void tlsBlockAndProxyKeysAreRead() throws Exception {
        SluiceConfig config = ConfigLoader.parse(ProxyConfigs.proxyTo(
                "servers = [ { address = \"app.internal:8443\" } ], tls { ca-file = \"ca.pem\", sni = \"app.example\" }",
                "trusted-proxies = [ \"10.0.0.0/8\", \"fd00::/8\", \"192.168.1.7\" ], forwarded = true, host = \"$upstream\""),
                BASE);
        UpstreamConfig upstream = config.upstreams().get("app");
        assertTrue(upstream.servers().get(0).tls(), "a tls block makes every server TLS");
        assertTrue(upstream.tls().verify());
        assertEquals(BASE.resolve("ca.pem"), upstream.tls().caFile());
        assertEquals("app.example", upstream.tls().sni());
        ProxyConfig proxy = (ProxyConfig) config.servers().get(0).locations().get(0).action();
        assertEquals("$upstream", proxy.host());
        assertTrue(proxy.forwarded());
        assertFalse(proxy.via());
        assertTrue(proxy.trustedProxies().get(0).contains(InetAddress.getByName("10.200.3.4")));
        assertFalse(proxy.trustedProxies().get(0).contains(InetAddress.getByName("11.0.0.1")));
        assertTrue(proxy.trustedProxies().get(1).contains(InetAddress.getByName("fd12::1")));
        assertTrue(proxy.trustedProxies().get(2).contains(InetAddress.getByName("192.168.1.7")));
        assertFalse(proxy.trustedProxies().get(2).contains(InetAddress.getByName("192.168.1.8")));
    }

    @Test
    void defaultsAreVerifiedTlsOnlyForHttpsAddresses() {
        SluiceConfig config = ConfigLoader.parse(ProxyConfigs.proxyTo(
                "servers = [ { address = \"https://app.internal\" }, { address = \"127.0.0.1:9000\" } ]", ""), BASE);
        UpstreamConfig upstream = config.upstreams().get("app");
        assertTrue(upstream.servers().get(0).tls());
        assertEquals(443, upstream.servers().get(0).address().port(), "https defaults to port 443");
        assertFalse(upstream.servers().get(1).tls());
        assertTrue(upstream.tls().verify());
        assertNull(upstream.tls().caFile());
    }

    @Test
    void exampleFrontsAnAppOnPort9000() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/reverse-proxy.conf"));
        assertEquals("127.0.0.1:9000", config.upstreams().get("app").servers().get(0).address().toString());
    }

    @Test
    void badValuesAreReportedWithTheirKey() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(ProxyConfigs.proxyTo(
                "servers = [ { address = \"127.0.0.1:9000\" } ], tls { verfy = false }",
                "trusted-proxies = [ \"10.0.0.0/33\", \"proxy.example\" ], buffering = true"), BASE));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("tls.verfy"), all);
        assertTrue(all.contains("10.0.0.0/33"), all);
        assertTrue(all.contains("proxy.example"), all);
        assertTrue(all.contains("buffering"), all);
    }

    @Test
    void protocolIsHttp1ByDefaultAndH2ImpliesTls() {
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  upstreams {
                    web { servers = [ { address = "127.0.0.1:9000" } ] }
                    grpc { protocol = h2, servers = [ { address = "grpc.internal:8443" } ] }
                    plain { protocol = h2c, servers = [ { address = "127.0.0.1:50051" } ] }
                  }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = web } } ] } ]
                }""", BASE);
        assertEquals(UpstreamConfig.Protocol.HTTP1, config.upstreams().get("web").protocol());
        UpstreamConfig grpc = config.upstreams().get("grpc");
        assertEquals(UpstreamConfig.Protocol.H2, grpc.protocol());
        assertTrue(grpc.servers().get(0).tls(), "h2 is HTTP/2 over TLS");
        UpstreamConfig plain = config.upstreams().get("plain");
        assertEquals(UpstreamConfig.Protocol.H2C, plain.protocol());
        assertFalse(plain.servers().get(0).tls());
    }

    @Test
    void grpcExampleSpeaksHttp2ToItsUpstreams() {
        SluiceConfig config = ConfigLoader.load(Path.of("../config/examples/grpc.conf"));
        assertEquals(UpstreamConfig.Protocol.H2C, config.upstreams().get("greeter").protocol());
        assertEquals(UpstreamConfig.Protocol.H2, config.upstreams().get("billing").protocol());
        assertTrue(config.upstreams().get("billing").servers().get(0).tls());
    }

    @Test
    void badProtocolsAreReported() {
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(
                ProxyConfigs.proxyTo("protocol = http2, servers = [ { address = \"127.0.0.1:9000\" } ]", ""), BASE));
        assertTrue(String.join("\n", unknown.problems()).contains("protocol: must be http1, h2"), unknown.getMessage());
        InvalidConfigException cleartext = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(
                ProxyConfigs.proxyTo("protocol = h2c, servers = [ { address = \"https://127.0.0.1:9443\" } ]", ""), BASE));
        assertTrue(String.join("\n", cleartext.problems()).contains("h2c is cleartext HTTP/2"), cleartext.getMessage());
    }
}
