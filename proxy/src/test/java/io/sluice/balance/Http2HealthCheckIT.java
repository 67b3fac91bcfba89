package io.sluice.balance;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.testing.Http2Backend;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Active health checks of a group that speaks HTTP/2 to its servers go out over HTTP/2: an HTTP/2-only
 * backend (as gRPC services are) answers its {@code /healthz} with a status the test sets, in cleartext
 * with prior knowledge and over TLS with ALPN.
 */
class Http2HealthCheckIT {
    private static SelfSignedCertificate certificate;

    @BeforeAll
    static void createCertificate() throws Exception {
        certificate = new SelfSignedCertificate("backend.test");
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.delete();
    }

    private static String config(String protocol, String address, String tls) {
        return config(protocol, address, tls, "path = \"/healthz\"");
    }

    private static String config(String protocol, String address, String tls, String check) {
        return """
                sluice {
                  workers = 1
                  upstreams { app {
                    protocol = %s
                    servers = [ { address = "%s" } ]
                    %s
                    health-check { %s, interval = 200ms, timeout = 3s, rise = 1, fall = 1 }
                  } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(protocol, address, tls, check);
    }

    private static void followsTheStatus(Http2Backend backend, RunningSluice sluice) throws InterruptedException {
        Eventually.await("checks over HTTP/2", Duration.ofSeconds(10), () -> backend.healthChecks.get() >= 2);
        assertEquals("up", Eventually.firstServerState(sluice));
        backend.healthStatus.set(503);
        Eventually.await("the server to be marked down", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("down"));
        backend.healthStatus.set(200);
        Eventually.await("the server to be up again", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("up"));
    }

    @Test
    void anH2cGroupIsCheckedWithPriorKnowledge() throws Exception {
        try (Http2Backend backend = Http2Backend.cleartext(100);
             RunningSluice sluice = RunningSluice.start(config("h2c", backend.address(), ""))) {
            followsTheStatus(backend, sluice);
        }
    }

    @Test
    void aGrpcCheckCallsTheHealthServiceAndPassesOnServing() throws Exception {
        try (Http2Backend backend = Http2Backend.cleartext(100);
             RunningSluice sluice = RunningSluice.start(config("h2c", backend.address(), "",
                     "grpc-service = \"billing.v1.Ledger\""))) {
            Eventually.await("gRPC health checks", Duration.ofSeconds(10), () -> backend.healthChecks.get() >= 2);
            assertEquals("up", Eventually.firstServerState(sluice));
            byte[] request = backend.grpcHealthRequests.take();
            assertEquals("0000000013" + "0a11" + HexFormat.of().formatHex("billing.v1.Ledger".getBytes(StandardCharsets.US_ASCII)),
                    HexFormat.of().formatHex(request), "a HealthCheckRequest naming the service");
            backend.grpcServing.set(2);
            Eventually.await("NOT_SERVING to take the server down", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("down"));
            backend.grpcServing.set(1);
            Eventually.await("SERVING to bring it back", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("up"));
            backend.grpcServing.set(-1);
            Eventually.await("a server without the health service (UNIMPLEMENTED) to be down", Duration.ofSeconds(10), () -> Eventually.firstServerState(sluice).equals("down"));
        }
    }

    @Test
    void anH2GroupIsCheckedOverTlsWithAlpn() throws Exception {
        try (Http2Backend backend = Http2Backend.tls(certificate.certificate().toPath(), certificate.privateKey().toPath(), 100);
             RunningSluice sluice = RunningSluice.start(config("h2", backend.address(),
                     "tls { ca-file = \"%s\", sni = \"backend.test\" }".formatted(certificate.certificate().getAbsolutePath())))) {
            followsTheStatus(backend, sluice);
        }
    }
}
