package io.sluice.tls;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/** Client-side helpers shared by the TLS tests. */
final class TlsClients {
    private TlsClients() {
    }

    static HttpClient httpClient(SSLContext context, HttpClient.Version version, String... protocols) {
        SSLParameters parameters = new SSLParameters();
        // the JDK client offers h2 by ALPN only when the protocols are listed
        parameters.setProtocols(protocols.length > 0 ? protocols : new String[] {"TLSv1.3", "TLSv1.2"});
        return HttpClient.newBuilder().sslContext(context).sslParameters(parameters).version(version)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Opens a TLS connection with the given SNI name ({@code null}: none) and completes the handshake. */
    static SSLSocket connect(SSLContext context, int port, String serverName) throws IOException {
        return connect(context, "127.0.0.1", port, serverName);
    }

    static SSLSocket connect(SSLContext context, String host, int port, String serverName) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port);
        socket.setSoTimeout(10_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    static X509Certificate peerCertificate(SSLContext context, int port, String serverName) throws IOException {
        try (SSLSocket socket = connect(context, port, serverName)) {
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    /** One HTTP/1.1 GET over an open socket; returns the whole response (which must carry Content-Length). */
    static String get(SSLSocket socket, String host, String path) throws IOException {
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = socket.getInputStream().read();
            if (b < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = socket.getInputStream().readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
