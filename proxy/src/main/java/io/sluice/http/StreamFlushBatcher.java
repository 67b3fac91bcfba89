package io.sluice.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Holds back the flushes of an HTTP/2 connection's streams so that the responses of several streams leave in
 * one TLS wrap and one socket write: while the connection reads, until the read is complete; otherwise until
 * the event loop has run the work already queued (the responses of other upstream reads of the same loop
 * turn, say). Past {@link #MAX_HELD_FLUSHES} held flushes it flushes at once, so a long read cannot pile up
 * unbounded output.
 *
 * <p>Netty's {@code FlushConsolidationHandler} does the same but ends its read before the handlers behind it
 * see that the read is complete. The stream multiplexer flushes its streams' responses exactly then, so with
 * that handler every read's responses missed the read's flush and were flushed by a task submitted for them
 * (a promise-carrying task per connection and read). Here the read ends after the rest of the pipeline has
 * seen it complete, and a flush outside a read is one plain task for the connection.
 *
 * <p>Unlike that handler it does not flush when the connection turns unwritable. That happens inside a write
 * of the frame codec's flow controller, which counts a frame's bytes against the client's window only once the
 * write returns: a flush there can make a stream writable again, whose next chunk is then appended to the
 * frame being written and sent past the window (the client ends the connection with FLOW_CONTROL_ERROR). What
 * is held leaves soon anyway, with the read or the loop's next task, and the flow controller writes nothing
 * more while the connection is unwritable.
 */
public final class StreamFlushBatcher extends ChannelDuplexHandler {
    /** The most flushes held back before one goes out anyway; Netty's consolidation default. */
    static final int MAX_HELD_FLUSHES = 256;

    private final Runnable flushTask = () -> {
        this.scheduled = false;
        flushHeld();
    };
    private ChannelHandlerContext ctx;
    private boolean reading;
    private boolean scheduled;
    private int held;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // the handlers behind see the read complete first: what they flush then leaves with the read's flush
        ctx.fireChannelReadComplete();
        reading = false;
        flushHeld();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (++held >= MAX_HELD_FLUSHES) {
            flushHeld();
        } else if (!reading && !scheduled) {
            scheduled = true;
            ctx.executor().execute(flushTask);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        endRead();
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        endRead();
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        endRead();
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        flushHeld();
    }

    /** A read that fails or whose connection goes away ends here: nothing may wait for its completion. */
    private void endRead() {
        reading = false;
        flushHeld();
    }

    private void flushHeld() {
        if (held > 0) {
            held = 0;
            ctx.flush();
        }
    }
}
