package io.sluice.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.sluice.http.ConnectionTimeouts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the TLS handshake, installs the HTTP stage the client chose by ALPN: {@code h2}, or HTTP/1.1 when
 * it chose {@code http/1.1} or nothing. Child channels run with auto-read off, so this stage asks for the
 * first bytes itself; the TLS handler keeps reading until the handshake is done.
 */
final class AlpnSelector extends ApplicationProtocolNegotiationHandler {
    private static final Logger log = LoggerFactory.getLogger(AlpnSelector.class);

    private final HttpChannelInitializer stages;

    AlpnSelector(HttpChannelInitializer stages) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.stages = stages;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            stages.addHttp2(ctx.channel());
        } else {
            stages.addHttp1(ctx.pipeline());
            // the HTTP/1 stage was not there when the connection became active: tell it now, so it reads
            ctx.fireChannelActive();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ConnectionTimeouts.Expired) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: TLS handshake failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
