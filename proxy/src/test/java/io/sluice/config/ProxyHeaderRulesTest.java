package io.sluice.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Header rules may not touch the headers that frame a message: each hop frames it one way, Sluice's. */
class ProxyHeaderRulesTest {
    @TempDir
    Path dir;

    private static String withRules(String rules) {
        return """
                sluice {
                  upstreams { app { servers = [ { address = "127.0.0.1:9000" } ] } }
                  servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                    { match = "/", proxy { upstream = app, %s } }
                  ] } ]
                }
                """.formatted(rules);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "request-headers { set { Content-Length = \"5\" } }",
            "request-headers { set { transfer-encoding = chunked } }",
            "request-headers { remove = [ \"Content-Length\" ] }",
            "response-headers { set { Transfer-Encoding = chunked } }",
            "response-headers { remove = [ \"connection\" ] }",
    })
    void framingHeadersCannotBeSetOrRemoved(String rules) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.parse(withRules(rules), dir));
        assertEquals(1, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains("frames the message"), e.problems().get(0));
    }

    @Test
    void otherHeadersCanBe() {
        ProxyConfig proxy = (ProxyConfig) ConfigLoader.parse(withRules(
                "request-headers { set { x-env = prod }, remove = [ \"x-drop\" ] }"), dir)
                .servers().get(0).locations().get(0).action();
        assertEquals("prod", proxy.requestHeaders().set().get("x-env"));
    }
}
