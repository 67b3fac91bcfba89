package io.sluice.server;

import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.testing.Http2TestClient;
import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.TlsTestConfigs;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fresh process with a TLS + HTTP/2 listener loads what the first connections need (the SNI and TLS
 * handlers, ALPN, the HTTP/2 codec and HPACK) without any client connecting, read from the JVM's class-load
 * log; and the first real client is served as usual afterwards.
 */
class TlsRehearsalIT {
    @Test
    void aTlsHttp2ListenerLoadsItsConnectionCodeBeforeAnyClientConnects() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost", "EC", 256);
        try (LaunchedSluice sluice = LaunchedSluice.start(tlsHttp2Config(certificate))) {
            Set<String> needed = Set.of(
                    "io.netty.handler.ssl.SniHandler", "io.netty.handler.ssl.SslHandler",
                    "io.netty.handler.ssl.ApplicationProtocolNegotiationHandler",
                    "io.netty.handler.codec.http2.Http2FrameCodec", "io.netty.handler.codec.http2.HpackDecoder",
                    "io.netty.handler.codec.http2.HpackEncoder", "io.sluice.http.Http2Streams",
                    "io.sluice.http.Http2ClientStream", "io.sluice.http.Http2StreamCodec");
            // the rehearsal runs beside the binds, so it may still be going when the port is logged
            Set<String> missing = new HashSet<>(needed);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                missing.removeAll(sluice.loadedClasses());
                Thread.sleep(50);
            }
            assertEquals(Set.of(), missing, "not loaded without any client connecting");
            try (Http2TestClient client = Http2TestClient.tls(sluice.port(), clientContext())) {
                Http2TestClient.Call call = client.call("GET", "/", Map.of(), true);
                Http2Headers headers = call.headers.get(10, TimeUnit.SECONDS);
                assertEquals("200", headers.status().toString());
                assertEquals("ok", new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
            }
        } finally {
            certificate.delete();
        }
    }

    /**
     * With one core the rehearsal once ran before the binds, so the ports opened and the first plain request
     * was answered only after it: the listener must be bound (its acceptor loaded) before the rehearsal starts.
     */
    @Test
    void theListenerIsBoundBeforeTheRehearsalStartsEvenWithOneCore() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost", "EC", 256);
        try (LaunchedSluice sluice = LaunchedSluice.start(tlsHttp2Config(certificate),
                List.of("-XX:ActiveProcessorCount=1"))) {
            String rehearsal = TlsRehearsal.class.getName();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<String> order = sluice.loadOrder();
            while (!order.contains(rehearsal) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                order = sluice.loadOrder();
            }
            int bound = order.indexOf("io.netty.bootstrap.ServerBootstrap$ServerBootstrapAcceptor");
            int rehearsed = order.indexOf(rehearsal);
            assertTrue(bound >= 0 && rehearsed >= 0, "both loaded: acceptor at " + bound + ", rehearsal at " + rehearsed);
            assertTrue(bound < rehearsed, "the acceptor (class " + bound + ") loads before the rehearsal (class "
                    + rehearsed + ")");
        } finally {
            certificate.delete();
        }
    }

    private static SslContext clientContext() throws Exception {
        return SslContextBuilder.forClient()
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2))
                .build();
    }

    private static String tlsHttp2Config(SelfSignedCertificate certificate) {
        return TlsTestConfigs.answeringOk("{ address = \"127.0.0.1:0\", tls = true, http2 = true }",
                certificate.certificate(), certificate.privateKey());
    }
}
