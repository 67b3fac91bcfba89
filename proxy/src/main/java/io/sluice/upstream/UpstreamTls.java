package io.sluice.upstream;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.config.UpstreamConfig;

import javax.net.ssl.SSLException;

/**
 * The client TLS context of an upstream group. Verification (chain and host name, with SNI) is on unless
 * {@code verify = false} is written; the trust anchors are the JVM's, or the PEM {@code ca-file}. For
 * {@code protocol = h2} it offers only {@code h2} by ALPN, with the cipher suites HTTP/2 allows. Built once
 * when the configuration is applied, never on an event loop.
 */
final class UpstreamTls {
    private UpstreamTls() {
    }

    static SslContext context(UpstreamConfig.Tls tls, boolean http2) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (http2) {
                builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                                ApplicationProtocolNames.HTTP_2));
            }
            if (!tls.verify()) {
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                builder.endpointIdentificationAlgorithm("HTTPS");
                if (tls.caFile() != null) {
                    builder.trustManager(tls.caFile().toFile());
                }
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("upstream TLS: " + e.getMessage(), e);
        }
    }
}
