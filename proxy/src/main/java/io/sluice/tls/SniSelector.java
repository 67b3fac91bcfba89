package io.sluice.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.Mapping;
import io.netty.util.ReferenceCountUtil;

/**
 * Reads the ClientHello, picks the certificate context by its SNI name and replaces itself with the
 * {@link SslHandler} under the same pipeline name, so the stage keeps one name for its whole life.
 * The engine is created in the same event-loop task as the look-up (see {@link CertificateSelector}).
 */
public final class SniSelector extends SniHandler {
    private final String name;

    public SniSelector(Mapping<String, SslContext> certificates, long handshakeTimeoutMillis, String name) {
        super(certificates, handshakeTimeoutMillis);
        this.name = name;
    }

    @Override
    protected void replaceHandler(ChannelHandlerContext ctx, String hostname, SslContext sslContext) {
        SslHandler sslHandler = newSslHandler(sslContext, ctx.alloc());
        try {
            ctx.pipeline().replace(this, name, sslHandler);
        } catch (RuntimeException e) {
            // not in the pipeline, so the handler never took ownership of the engine
            ReferenceCountUtil.safeRelease(sslHandler.engine());
            throw e;
        }
    }
}
