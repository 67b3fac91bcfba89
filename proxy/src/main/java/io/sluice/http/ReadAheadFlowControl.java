package io.sluice.http;

import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * Flow control for an HTTP/1.1 connection with auto-read off: hands the decoded messages on one per
 * {@code read()}, like Netty's {@link io.netty.handler.flow.FlowControlHandler}, but keeps the socket read
 * armed while it holds nothing that was not asked for.
 *
 * <p>Why: with auto-read off, Netty's epoll transport takes the socket out of the interest set whenever a
 * read cycle ends without a new {@code read()}, and puts it back on the next {@code read()}: two
 * {@code epoll_ctl} calls per keep-alive request whose response is written after the read cycle (every
 * proxied one). Here the socket stays armed while the connection waits for a request head or for its
 * response to leave, and reading pauses lazily, at the end of a read cycle that left unasked-for bytes
 * queued: a pipelined request, body bytes no handler wanted yet. Memory stays bounded by one read (plus
 * what the codec holds of an incomplete head, which its limits bound), and nobody sees a message it did
 * not ask for. The end of a request without a body (an empty last content) carries no bytes and does not
 * pause reading.
 *
 * <p>The contract with the reader downstream is {@code FlowControlHandler}'s: a wish for a message
 * lasts one read cycle; when the cycle ends unanswered the reader renews it on {@code channelReadComplete}.
 */
public final class ReadAheadFlowControl extends ChannelDuplexHandler {
    private ArrayDeque<Object> queue;
    /** Messages asked for and not yet handed on, within the current read cycle. */
    private int demand;
    /** Queued messages that should pause reading: request heads and body bytes. */
    private int held;
    /** A socket read was requested in this read cycle: asking again would only walk the pipeline again. */
    private boolean socketReadRequested;

    /**
     * A flow control that takes over while its reader waits for a message: from one that was let go on an
     * idle connection, or on a connection that opened without one. The reader asked before this handler
     * existed and renews its wish only at the end of the read cycle, so without it the next request would
     * wait in the queue until then and be handed on from {@code channelReadComplete}; started with that one
     * wish, the request passes straight on, as it would have through the handler it replaces.
     */
    public static ReadAheadFlowControl forWaitingReader() {
        ReadAheadFlowControl flow = new ReadAheadFlowControl();
        flow.demand = 1;
        return flow;
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        demand++;
        while (demand > 0 && queue != null && !queue.isEmpty()) {
            Object msg = queue.poll();
            demand--;
            if (pausesReading(msg)) {
                held--;
            }
            ctx.fireChannelRead(msg);
        }
        if (demand > 0 || held == 0) {
            requestSocketRead(ctx);
        }
    }

    /**
     * Whether a request head or body bytes wait here, for the next {@code read()} to hand on at once. An
     * empty end of request does not count: it carries nothing and only ends the request it belongs to.
     */
    public boolean holdsRequestBytes() {
        return held > 0;
    }

    private void requestSocketRead(ChannelHandlerContext ctx) {
        if (!socketReadRequested) {
            socketReadRequested = true;
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (demand > 0 && (queue == null || queue.isEmpty())) {
            demand--;
            ctx.fireChannelRead(msg);
            return;
        }
        if (queue == null) {
            queue = new ArrayDeque<>(4);
        }
        queue.add(msg);
        if (pausesReading(msg)) {
            held++;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        demand = 0;
        socketReadRequested = false;
        ctx.fireChannelReadComplete();
        // arming again inside the read cycle keeps the socket in the interest set (no epoll_ctl)
        if (held == 0) {
            requestSocketRead(ctx);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // the connection changes protocol: what was read ahead goes on, in order, to what comes next
        if (queue != null) {
            ArrayDeque<Object> rest = queue;
            queue = null;
            held = 0;
            Object msg;
            while ((msg = rest.poll()) != null) {
                ctx.fireChannelRead(msg);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (queue != null) {
            Object msg;
            while ((msg = queue.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
            queue = null;
            held = 0;
        }
        ctx.fireChannelInactive();
    }

    private static boolean pausesReading(Object msg) {
        if (msg instanceof HttpRequest) {
            return true;
        }
        return !(msg instanceof LastHttpContent last) || ((ByteBufHolder) last).content().isReadable();
    }
}
