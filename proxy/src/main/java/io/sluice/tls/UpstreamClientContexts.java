package io.sluice.tls;

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
 * Client TLS contexts for connections to an upstream group's servers, shared by the proxy and the active
 * health checks so both verify the same way. Verification (chain and host name, with SNI) is on unless
 * {@code verify = false} is written; the trust anchors are the JVM's, or the PEM {@code ca-file}. With
 * {@code http2} (the proxy's {@code protocol = h2}) it offers only {@code h2} by ALPN, with the cipher
 * suites HTTP/2 allows; health checks, which speak HTTP/1.1, ask without. Built
 * when the configuration is applied, never on an event loop.
 */
public final class UpstreamClientContexts {
    private UpstreamClientContexts() {
    }

    public static SslContext context(UpstreamConfig.Tls tls, boolean http2) {
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
