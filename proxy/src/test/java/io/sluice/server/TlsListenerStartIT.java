package io.sluice.server;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.testing.LaunchedSluice;
import io.sluice.testing.TlsTestConfigs;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A start with a plain and a TLS listener binds both before it builds the TLS contexts, so the plain one
 * answers while they are built; the TLS one accepts only once they are, and a client that connects to it
 * earlier waits and is then served.
 */
class TlsListenerStartIT {
    @Test
    void thePlainListenerIsBoundBeforeTheTlsProviderIsSetUp() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost", "EC", 256);
        try (LaunchedSluice sluice = LaunchedSluice.start(config(certificate, freePort()),
                List.of("-XX:ActiveProcessorCount=1"))) {
            List<String> order = sluice.loadOrder();
            int bound = order.indexOf("io.netty.bootstrap.ServerBootstrap$ServerBootstrapAcceptor");
            int tlsProvider = order.indexOf("io.netty.handler.ssl.OpenSsl");
            assertTrue(bound >= 0 && tlsProvider >= 0, "both loaded: acceptor at " + bound + ", OpenSsl at " + tlsProvider);
            assertTrue(bound < tlsProvider, "the acceptor (class " + bound + ") loads before OpenSsl (class "
                    + tlsProvider + ")");
        } finally {
            certificate.delete();
        }
    }

    @Test
    void aTlsClientThatConnectsDuringTheStartIsServed() throws Exception {
        SelfSignedCertificate certificate = new SelfSignedCertificate("localhost", "EC", 256);
        int tlsPort = freePort();
        // connects as soon as the port is bound, which may be before the contexts are built
        CompletableFuture<String> early = CompletableFuture.supplyAsync(() -> firstLine(connectEarly(tlsPort)));
        try (LaunchedSluice sluice = LaunchedSluice.start(config(certificate, tlsPort))) {
            String statusLine = early.get(30, TimeUnit.SECONDS);
            assertTrue(statusLine.startsWith("HTTP/1.1 200"), statusLine);
        } finally {
            early.cancel(true);
            certificate.delete();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    private static Socket connectEarly(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return socket;
            } catch (IOException notYet) {
                close(socket);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("port " + port + " never accepted a connection");
    }

    /** The status line of a GET over TLS on an already connected socket. */
    private static String firstLine(Socket connected) {
        try {
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            try (SSLSocket socket = (SSLSocket) trustAll.getSocketFactory()
                    .createSocket(connected, "localhost", connected.getPort(), true)) {
                socket.setSoTimeout(20_000);
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                InputStream in = socket.getInputStream();
                StringBuilder line = new StringBuilder();
                for (int b = in.read(); b >= 0 && b != '\r'; b = in.read()) {
                    line.append((char) b);
                }
                return line.toString();
            }
        } catch (Exception e) {
            close(connected);
            throw new IllegalStateException(e);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    private static String config(SelfSignedCertificate certificate, int tlsPort) {
        return TlsTestConfigs.answeringOk("\"127.0.0.1:0\", { address = \"127.0.0.1:" + tlsPort + "\", tls = true }",
                certificate.certificate(), certificate.privateKey());
    }
}
