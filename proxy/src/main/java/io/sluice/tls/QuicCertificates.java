package io.sluice.tls;

import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.SslContext;
import io.sluice.config.ServerConfig;
import io.sluice.config.TlsConfig.CertificateConfig;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TLS side of an HTTP/3 listen address: the certificates of every server block listening there, chosen
 * per handshake by SNI with the same rules as on TCP ({@link CertificateSelector}), offering only ALPN
 * {@code h3}. QUIC always runs TLS 1.3 (quiche's BoringSSL), so the blocks' protocol and cipher lists do
 * not apply. Early data (0-RTT) stays off: a replayed request could repeat a non-idempotent action upstream.
 *
 * <p>The files are read on the calling thread: the one binding the listener (startup or a reload) or
 * installing certificates the TLS listeners read again, never an event loop.
 */
public final class QuicCertificates {
    private QuicCertificates() {
    }

    /**
     * @param servers the server blocks with an http3 listener on the address, in configuration order; the
     *                first certificate of the first block is the default
     * @throws IllegalStateException naming the server block and files when a certificate cannot be used
     */
    public static QuicSslContext forServers(List<ServerConfig> servers) {
        List<Map.Entry<SslContext, List<String>>> names = new ArrayList<>();
        List<SslContext> contexts = new ArrayList<>();
        for (ServerConfig server : servers) {
            QuicSslContext first = null;
            for (CertificateConfig certificate : server.tls().certificates()) {
                String where = server.configPath() + ".tls (" + certificate.cert() + ", " + certificate.key() + ")";
                try {
                    X509Certificate[] chain = PemFiles.certificates(certificate.cert());
                    PrivateKey key = PemFiles.privateKey(certificate.key());
                    PemFiles.checkKeyMatches(key, chain[0], certificate.key(), certificate.cert());
                    QuicSslContext context = QuicSslContextBuilder.forServer(key, null, chain)
                            .applicationProtocols(Http3.supportedApplicationProtocols())
                            .sessionTimeout(server.tls().sessionTimeout().toSeconds())
                            .earlyData(false)
                            .build();
                    contexts.add(context);
                    names.add(new AbstractMap.SimpleImmutableEntry<>(context, TlsContexts.names(chain[0])));
                    if (first == null) {
                        first = context;
                    }
                } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                    throw new IllegalStateException(where + ": " + e.getMessage(), e);
                }
            }
            // a server name no certificate lists still gets the block's first certificate
            names.add(new AbstractMap.SimpleImmutableEntry<>(first, server.serverNames()));
        }
        CertificateSelector.Generation generation = new CertificateSelector.Generation(names, contexts);
        return QuicSslContextBuilder.buildForServerWithSni(serverName -> (QuicSslContext) generation.select(serverName));
    }
}
