package io.sluice.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameStreamException;

/**
 * Between the frame codec and the stream multiplexer of an HTTP/2 upstream connection, it tells an error
 * in what the server sent on a stream from an error in what Sluice wrote on it. The codec reports the
 * first kind (a malformed or connection-specific field, a header list over the limit, DATA past the
 * window …) as an {@link Http2FrameStreamException}, and only that kind: the second fails its write. The
 * multiplexer then hands the exception's cause to the stream's pipeline, where {@link UpstreamConnection}
 * sees it among write failures and asks here whether it is the one just received.
 */
final class ReceivedStreamErrors extends ChannelInboundHandlerAdapter {
    /** The cause of the stream error being passed to its stream: the multiplexer does so at once. */
    private Throwable passing;

    /** True when {@code cause} is the stream error in the server's frames that is being passed on now. */
    boolean isReceived(Throwable cause) {
        return cause != null && cause == passing;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof Http2FrameStreamException streamError)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        passing = streamError.getCause();
        try {
            ctx.fireExceptionCaught(cause);
        } finally {
            passing = null;
        }
    }
}
