package io.sluice.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.config.LimitsConfig;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One stream of an HTTP/2 client connection, as its dispatcher's link: its request reaches the dispatcher as
 * HTTP/1-style messages ({@link Http2StreamCodec} translates), one per {@link #read}, and its response leaves
 * as frames written on the connection's context. Request body frames the dispatcher has not asked for wait
 * here, and only what it takes is given back to the client's window (WINDOW_UPDATE), so a client can send no
 * more than the stream's window ahead of the handler. The stream is writable while the remote flow controller
 * would send its next frame: a response body is written in chunks as the client's window allows.
 *
 * <p>A response's writes carry no promise of their own, except the last, whose future is the response's end
 * (the dispatcher may wait for it); a write that fails resets the stream, which ends the exchange.
 */
final class Http2ClientStream implements ClientLink, ConnectionTimeouts.StreamClockOwner {
    private final Http2Streams connection;
    private final ChannelHandlerContext ctx;
    private final ChannelPromise unheard;
    private final Http2FrameStream frameStream;
    private final Http2Stream stream;
    private final ConnectionTimeouts timeouts;
    private final ClientLink.Receiver receiver;
    /** The request head, until the receiver first reads. */
    private HttpObject head;
    /** Body and trailer frames the receiver has not asked for yet; made for a request with a body only. */
    private ArrayDeque<Http2StreamFrame> waiting;
    private boolean readWanted;
    /**
     * Writability as the codec's events last reported it. Asking the flow controller each time would not do:
     * it counts the connection's own writability too, which turns while a flush is held back, and the codec
     * reports a stream's turn only when the stream's own window or queue moves it. A writer told "unwritable"
     * by such a reading would then wait for an event that never comes.
     */
    private boolean writable;
    private boolean ended;

    Http2ClientStream(Http2Streams connection, Http2FrameStream frameStream, Http2Stream stream, LimitsConfig limits,
                      LoopClock clock, Http2Streams.Receivers receivers) {
        this.connection = connection;
        this.ctx = connection.ctx();
        this.unheard = connection.unheard();
        this.frameStream = frameStream;
        this.stream = stream;
        this.timeouts = ConnectionTimeouts.forStream(limits, clock, this);
        this.writable = connection.connection().remote().flowController().isWritable(stream);
        if (!writable) {
            // a stream opened while the client's window is used up gets no event until the window moves:
            // its send clock runs from here, or a client that never reads would hold the stream for good
            timeouts.writabilityChanged(false, ctx.executor());
        }
        this.receiver = receivers.open(this, timeouts);
    }

    void start(HttpObject head) {
        this.head = head;
        receiver.start();
    }

    /** A DATA or trailing HEADERS frame of this stream's request. */
    void frameRead(Http2StreamFrame frame) {
        if (ended) {
            ReferenceCountUtil.release(frame);
        } else if (readWanted) {
            readWanted = false;
            deliver(frame);
        } else {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(frame);
        }
    }

    @Override
    public void read() {
        if (ended) {
            return;
        }
        if (head != null) {
            HttpObject request = head;
            head = null;
            receiver.received(request);
            return;
        }
        Http2StreamFrame frame = waiting == null ? null : waiting.poll();
        if (frame == null) {
            readWanted = true;
        } else {
            deliver(frame);
        }
    }

    private void deliver(Http2StreamFrame frame) {
        if (frame instanceof Http2DataFrame data) {
            int flowControlled = data.initialFlowControlledBytes();
            HttpObject content = Http2StreamCodec.message(data);
            if (flowControlled > 0) {
                // taken by the receiver: the client may send as much again
                ctx.write(new DefaultHttp2WindowUpdateFrame(flowControlled).stream(frameStream), unheard);
                ctx.flush();
            }
            receiver.received(content);
            return;
        }
        try {
            receiver.received(Http2StreamCodec.message((Http2HeadersFrame) frame));
        } catch (Http2Exception e) {
            reset(ctx, frameStream, Http2Error.PROTOCOL_ERROR, unheard);
        }
    }

    void writabilityChanged() {
        if (ended || stream.state() == Http2Stream.State.CLOSED) {
            // the flow controller takes a closing stream's window away, which reports it unwritable just before
            // its close event: that is no client that stopped reading, and starting a send clock for it would
            // only schedule a timer for the close to cancel
            return;
        }
        boolean now = connection.connection().remote().flowController().isWritable(stream);
        if (now == writable) {
            return;
        }
        writable = now;
        timeouts.writabilityChanged(now, ctx.executor());
        receiver.writabilityChanged(now);
    }

    /** The stream has closed (response sent and request read, a reset either way, the connection gone). */
    void ended() {
        if (ended) {
            return;
        }
        ended = true;
        if (head != null) {
            ReferenceCountUtil.release(head);
            head = null;
        }
        if (waiting != null) {
            for (Http2StreamFrame frame = waiting.poll(); frame != null; frame = waiting.poll()) {
                ReferenceCountUtil.release(frame);
            }
        }
        timeouts.stop();
        receiver.closed();
    }

    static void reset(ChannelHandlerContext ctx, Http2FrameStream stream, Http2Error error, ChannelPromise unheard) {
        ctx.write(new DefaultHttp2ResetFrame(error).stream(stream), unheard);
        ctx.flush();
    }

    @Override
    public boolean open() {
        return !ended;
    }

    @Override
    public void expired(ConnectionTimeouts.Phase phase) {
        receiver.expired(phase);
    }

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public EventExecutor executor() {
        return ctx.executor();
    }

    @Override
    public ChannelFuture write(Object message) {
        return send(message);
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        ChannelFuture future = send(message);
        ctx.flush();
        return future;
    }

    private ChannelFuture send(Object message) {
        if (!(message instanceof HttpObject)) {
            ReferenceCountUtil.release(message);
            return ctx.newFailedFuture(new IllegalArgumentException("not a response message: " + message));
        }
        if (message instanceof LastHttpContent) {
            ChannelPromise end = ctx.newPromise();
            Http2StreamCodec.writeFrames(ctx, frameStream, message, end, unheard);
            return end;
        }
        Http2StreamCodec.writeFrames(ctx, frameStream, message, unheard, unheard);
        return ctx.channel().newSucceededFuture();
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void writeAndClose(Object message) {
        writeAndFlush(message).addListener(written -> close());
    }

    @Override
    public boolean writable() {
        return !ended && writable;
    }

    @Override
    public void close() {
        if (!ended && stream.state() != Http2Stream.State.CLOSED) {
            reset(ctx, frameStream, Http2Error.CANCEL, unheard);
        }
    }

    @Override
    public ChannelFuture newFailedFuture(Throwable cause) {
        return ctx.newFailedFuture(cause);
    }

    @Override
    public boolean multiplexed() {
        return true;
    }

    @Override
    public boolean endsWithResponse() {
        return true;
    }

    @Override
    public boolean holdsRequestBytes() {
        return true;
    }

    @Override
    public InetSocketAddress client() {
        return connection.client();
    }

    @Override
    public String protocol(HttpRequest request) {
        return "HTTP/2.0";
    }

    @Override
    public void leaveHttp() {
        throw new UnsupportedOperationException("an HTTP/2 stream cannot leave HTTP");
    }
}
