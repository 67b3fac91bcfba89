package io.sluice.tls;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TlsExampleConfigTest {

    @Test
    void theTlsExampleIsValid(@TempDir Path directory) throws Exception {
        Path example = directory.resolve("tls.conf");
        Files.copy(Path.of("../config/examples/tls.conf"), example);
        for (String site : new String[] {"example.com", "api.example.org"}) {
            Path certs = Files.createDirectories(directory.resolve("certs").resolve(site));
            Files.writeString(certs.resolve("fullchain.pem"), "");
            Files.writeString(certs.resolve("privkey.pem"), "");
        }
        SluiceConfig config = ConfigLoader.load(example);
        assertEquals(3, config.servers().size());
        assertNotNull(config.servers().get(0).tls());
        assertEquals(8443, config.servers().get(2).redirectToHttps());
        assertTrue(config.servers().get(0).listen().get(1).http3(), "the first site listens for HTTP/3 too");
        assertEquals(128, config.http3().maxConcurrentStreams());
    }
}
