package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level clocks of an HTTP/2 connection, last in its pipeline. Streams carry their own
 * request clocks; this handler keeps the parent's {@link ConnectionTimeouts} in step: while any stream
 * is open no header or keep-alive clock runs, and when the last one ends the keep-alive clock starts. An
 * idle connection whose clock runs out, one that cannot take our bytes for send-timeout, and a connection
 * asked to drain are closed through the codec, which sends GOAWAY and lets open streams finish first.
 */
public final class Http2ConnectionGuard extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionGuard.class);

    private final ConnectionTimeouts timeouts;
    private int openStreams;

    public Http2ConnectionGuard(ConnectionTimeouts timeouts) {
        this.timeouts = timeouts;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeouts.awaitRequest();
    }

    /** Called on the connection's loop when a client opens a stream. */
    public void streamOpened() {
        if (openStreams++ == 0) {
            timeouts.requestReceived();
        }
    }

    /** Called on the connection's loop when a stream has closed. */
    public void streamClosed() {
        if (--openStreams == 0) {
            timeouts.awaitRequest();
        }
    }

    /**
     * What reaches the end of an HTTP/2 pipeline is mostly a connection error in the client's bytes (a bad
     * preface, a malformed frame), or the socket failing under a client that reset it. Left to the pipeline's
     * tail, each cost a WARN with a stack trace, at the will of any client. The HTTP/1.1 stage logs its
     * connection errors at debug and closes; so does this one, except on an {@link Http2Exception}: the codec
     * tells this handler before it answers with its GOAWAY (which {@link Http2GoAwayLog} logs) and closes, and a
     * close from here would go first, as a GOAWAY without the error.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: HTTP/2 connection error: {}", ctx.channel().remoteAddress(), cause.toString());
        if (!(cause instanceof Http2Exception)) {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ConnectionTimeouts.Expired expired) {
            if (expired.phase() == ConnectionTimeouts.Phase.SEND || openStreams == 0) {
                ctx.close();
            }
        } else if (evt == ConnectionEvent.DRAIN) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }
}
