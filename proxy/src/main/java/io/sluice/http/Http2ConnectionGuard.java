package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The connection-level clocks of an HTTP/2 connection, last in its pipeline. Streams carry their own
 * request clocks; this handler keeps the parent's {@link ConnectionTimeouts} in step: while any stream
 * is open no header or keep-alive clock runs, and when the last one ends the keep-alive clock starts. An
 * idle connection whose clock runs out, one that cannot take our bytes for send-timeout, and a connection
 * asked to drain are closed through the codec, which sends GOAWAY and lets open streams finish first.
 */
public final class Http2ConnectionGuard extends ChannelInboundHandlerAdapter {
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
