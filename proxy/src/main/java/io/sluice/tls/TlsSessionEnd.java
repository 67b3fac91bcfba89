package io.sluice.tls;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;

/**
 * Closes a client connection as soon as its TLS session has ended after the handshake: when it fails, for
 * instance on a record that does not decrypt, or when the client has ended it with its close_notify. A failure
 * is fatal (RFC 8446 §6.2); after a close_notify the engine encrypts nothing more (see {@link CloseNotifyHold},
 * which hands the record on only once nothing is owed to the client). Either way the session can carry nothing
 * more, and until the socket closes it holds a connection slot: an idle one waited for the header timeout.
 *
 * <p>The OpenSSL engine answers a record that fails with its fatal alert at once but raises the error only on its
 * next wrap. An HTTP/1.1 connection between requests writes nothing, so the error would wait for the header
 * or keep-alive timeout. After a read that brought no application data, which is all such a record brings,
 * this handler therefore flushes through the TLS handler: the flush wraps, the error surfaces, and the
 * connection closes. Reads that do bring data are answered by the stage's own writes.
 *
 * <p>A close while the socket still holds bytes the client has not taken (it stopped reading: a send timeout, a
 * {@code min-send-rate} cut, a connection dropped under a client that does not read) goes past the TLS handler,
 * so no close_notify is sent, as nginx sends none when bytes are left unsent. The TLS handler would queue the
 * close_notify behind those bytes, keep the connection for its flush timeout (3 s) and then log a warning, at
 * the will of any client that stops reading; and a response cut short must not end with a close_notify, which
 * tells the client that it is whole.
 */
public final class TlsSessionEnd extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(TlsSessionEnd.class);

    private final CloseNotifyHold closeNotifyHold;
    private boolean handshaken;
    private boolean readData;

    /** {@code closeNotifyHold}: the connection's, told when the handshake has succeeded. */
    public TlsSessionEnd(CloseNotifyHold closeNotifyHold) {
        this.closeNotifyHold = closeNotifyHold;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readData = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (handshaken && !readData) {
            ctx.flush();
        }
        readData = false;
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent completion && completion.isSuccess()) {
            handshaken = true;
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            closeNotifyHold.established("TLSv1.3".equals(tls.engine().getSession().getProtocol()),
                    ApplicationProtocolNames.HTTP_2.equals(tls.applicationProtocol()));
        } else if (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess()) {
            log.debug("{}: client ended its TLS session, closing", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ChannelHandlerContext tls = ctx.pipeline().context(SslHandler.class);
        if (tls != null && socketHoldsUnsentBytes(ctx.channel())) {
            // the close goes on from the TLS handler's context, which passes it to the stages before it
            tls.close(promise);
        } else {
            ctx.close(promise);
        }
    }

    private static boolean socketHoldsUnsentBytes(Channel channel) {
        // flushed messages still queued are bytes the kernel did not take: the client's receive window is shut
        ChannelOutboundBuffer unsent = channel.unsafe().outboundBuffer();
        return unsent != null && unsent.size() > 0;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof SSLException || cause.getCause() instanceof SSLException) {
            log.debug("{}: TLS session failed, closing: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }
}
