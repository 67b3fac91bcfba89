package io.sluice.server;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.tls.TlsProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The in-memory connection a TLS listener is rehearsed with: it gets as far as a real client would with the
 * listener's certificates (its ALPN choice, every HTTP/2 request answered), releases every buffer (the suite's
 * paranoid leak detection fails the class otherwise), and never stops a start.
 */
class TlsRehearsalTest {
    private static final SluiceConfig CONFIG = ConfigLoader.parse("""
            sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { } } ] } ] }""",
            Path.of("."));
    private static SelfSignedCertificate certificate;
    private SslContext client;

    @BeforeAll
    static void makeCertificate() throws Exception {
        certificate = new SelfSignedCertificate("localhost", "EC", 256);
    }

    @AfterAll
    static void dropCertificate() {
        certificate.delete();
    }

    @BeforeEach
    void makeClient() throws Exception {
        client = TlsRehearsal.clientContext();
    }

    @AfterEach
    void releaseClient() {
        ReferenceCountUtil.release(client);
    }

    @Test
    void anHttp2ListenerAnswersEveryRehearsedRequest() throws Exception {
        SslContext server = serverContext(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);
        try {
            TlsRehearsal.Outcome outcome = TlsRehearsal.run(client, host -> server, CONFIG);
            assertEquals(ApplicationProtocolNames.HTTP_2, outcome.protocol());
            assertEquals(2 * TlsRehearsal.STREAMS, outcome.responses());
        } finally {
            ReferenceCountUtil.release(server);
        }
    }

    @Test
    void anHttp1ListenerIsRehearsedUpToTheEndOfItsHandshake() throws Exception {
        SslContext server = serverContext(ApplicationProtocolNames.HTTP_1_1);
        try {
            TlsRehearsal.Outcome outcome = TlsRehearsal.run(client, host -> server, CONFIG);
            assertEquals(ApplicationProtocolNames.HTTP_1_1, outcome.protocol());
            assertEquals(0, outcome.responses());
        } finally {
            ReferenceCountUtil.release(server);
        }
    }

    @Test
    void aRehearsalThatFailsLeavesTheStartAlone() {
        SluiceConfig tls = ConfigLoader.parse("""
                sluice { servers = [ {
                  listen = [ { address = "127.0.0.1:0", tls = true, http2 = true } ]
                  tls { certificates = [ { cert = "%s", key = "%s" } ] }
                  locations = [ { match = "/", return { } } ]
                } ] }""".formatted(certificate.certificate(), certificate.privateKey()), Path.of("."));
        Mapping<String, SslContext> failing = host -> {
            throw new IllegalStateException("no certificate for you");
        };
        assertDoesNotThrow(() -> TlsRehearsal.rehearse(tls.servers().get(0).listen(), address -> failing, tls));
    }

    @Test
    void plainListenersAreNotRehearsed() {
        Map<String, Mapping<String, SslContext>> asked = new HashMap<>();
        TlsRehearsal.rehearse(CONFIG.servers().get(0).listen(), address -> {
            asked.put(address, null);
            return null;
        }, CONFIG);
        assertEquals(Map.of(), asked);
    }

    private static SslContext serverContext(String... protocols) throws Exception {
        return SslContextBuilder.forServer(certificate.key(), certificate.cert())
                .sslProvider(TlsProvider.provider())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, List.of(protocols)))
                .build();
    }
}
