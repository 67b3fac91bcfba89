package io.sluice.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
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

    /**
     * Until the protocol is chosen this is the last handler: a failed handshake, bytes that are no TLS, a
     * ClientHello over the SNI stage's size limit and a PROXY protocol header that does not parse all end here,
     * at the will of any client. Netty's handler sends only SSL errors to {@code handshakeFailure}; the others it
     * logs at WARN with a stack trace and passes on to the pipeline's tail, which logs them once more (a client
     * that had sent half a PROXY header got both again when it closed). All are connection errors like those the
     * HTTP stages log at debug: one line, and the connection closes.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable error = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        log.debug("{}: connection failed before its protocol was chosen: {}", ctx.channel().remoteAddress(),
                error.toString());
        ctx.close();
    }
}
