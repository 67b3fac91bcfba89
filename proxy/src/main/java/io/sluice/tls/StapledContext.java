package io.sluice.tls;

import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;

import javax.net.ssl.SSLEngine;
import java.time.Instant;

/**
 * A server context (built with OCSP enabled) whose engines staple the certificate's current OCSP response.
 * BoringSSL sends it only to clients that asked for the status (status_request), in the handshake this
 * engine makes. The wrapped context keeps its own reference count: {@link TlsContexts} releases that one.
 */
final class StapledContext extends DelegatingSslContext {
    private final CertificateStaple staple;

    StapledContext(SslContext context, CertificateStaple staple) {
        super(context);
        this.staple = staple;
    }

    @Override
    protected void initEngine(SSLEngine engine) {
        byte[] response = staple.responseAt(Instant.now());
        if (response != null && engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            openSsl.setOcspResponse(response);
        }
    }
}
