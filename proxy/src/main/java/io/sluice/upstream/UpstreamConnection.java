package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One connection to an upstream server, the last handler of its pipeline; for an HTTP/2 upstream, one
 * stream (a child channel of the shared connection, used for one exchange and then closed). While it serves an exchange it
 * passes everything to that exchange's {@link UpstreamListener}; while it idles in its pool a read is kept
 * pending so that a close by the server is noticed, and any byte the server sends unasked makes the
 * connection untrustworthy, so it is closed: a whole message at once, a partial one when the read ends.
 *
 * <p>It also keeps the exchange's clock: the exchange sets a deadline, which only moves a number; one
 * timer per connection fires at the earliest deadline and re-arms itself when the deadline has moved
 * later, so a busy kept-alive connection schedules nothing per request.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);
    private static final long NONE = Long.MAX_VALUE;

    private final ConnectionPool pool;
    private Channel channel;
    /** The response decoder of an HTTP/1.1 connection; null for an HTTP/2 stream, which has its own codec. */
    private UpstreamResponseDecoder decoder;
    /** The HTTP/2 connection of a stream, and what tells its received stream errors; null on HTTP/1.1. */
    private Http2Session session;
    private ReceivedStreamErrors receivedStreamErrors;
    private boolean chunkedBody;
    private UpstreamListener listener;
    /** The server said it did not process the request on this HTTP/2 stream; see {@link #userEventTriggered}. */
    private boolean unprocessed;
    /** What was invalid in the server's frames on this HTTP/2 stream; see {@link #exceptionCaught}. */
    private String invalidResponse;
    private int requests;
    private long idleSinceNanos;
    private long deadline = NONE;
    private ScheduledFuture<?> timer;
    private long timerFiresAt = NONE;

    UpstreamConnection(ConnectionPool pool) {
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.channel = ctx.channel();
        this.decoder = ctx.pipeline().get(UpstreamResponseDecoder.class);
        if (channel instanceof Http2StreamChannel stream) {
            this.session = stream.parent().pipeline().get(Http2Session.class);
            this.receivedStreamErrors = stream.parent().pipeline().get(ReceivedStreamErrors.class);
        }
    }

    /**
     * Sends an encoded HTTP/1.1 request head (see {@link RequestHeadBuilder#encode}), taking ownership of it.
     *
     * @param headRequest the request is a {@code HEAD}: its response has no body whatever its headers say
     * @param chunked the request body, if any, goes as chunks
     */
    void sendHead(ByteBuf head, boolean headRequest, boolean chunked) {
        decoder.expectResponseToHead(headRequest);
        chunkedBody = chunked;
        channel.writeAndFlush(head, channel.voidPromise());
    }

    /** Sends a piece of the request body (taking ownership), framed as the head announced, and flushes. */
    void sendBody(HttpContent content) {
        if (decoder == null) {
            channel.writeAndFlush(content, channel.voidPromise());
        } else {
            RequestBodyFraming.write(channel, content, chunkedBody);
        }
    }

    Channel channel() {
        return channel;
    }

    /**
     * False when the server sent bytes beyond the responses asked of it (a tail behind a body, a body on
     * a 204 or on the answer to {@code HEAD}) that form no message yet: they sit in the decoder and would
     * be taken for the start of the next response, so the connection must not carry another request.
     */
    boolean clean() {
        return decoder == null || decoder.atRest();
    }

    ConnectionPool pool() {
        return pool;
    }

    void attach(UpstreamListener listener) {
        this.listener = listener;
        requests++;
    }

    void detach() {
        listener = null;
        deadline = NONE;
    }

    /** Calls the attached listener's {@link UpstreamListener#onUpstreamDeadline()} at {@code at} (nanoTime). */
    void deadline(long at) {
        deadline = at;
        if (timer == null || timerFiresAt > at) {
            schedule(at);
        }
    }

    private void schedule(long at) {
        if (timer != null) {
            timer.cancel(false);
        }
        timerFiresAt = at;
        timer = channel.eventLoop().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        timerFiresAt = NONE;
        if (deadline == NONE) {
            return;
        }
        if (System.nanoTime() < deadline) {
            schedule(deadline);
            return;
        }
        deadline = NONE;
        if (listener != null) {
            listener.onUpstreamDeadline();
        }
    }

    int requests() {
        return requests;
    }

    long idleSinceNanos() {
        return idleSinceNanos;
    }

    void markIdle(long nanos) {
        idleSinceNanos = nanos;
        channel.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamListener current = listener;
        if (current != null) {
            current.onUpstreamMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamReadComplete();
        } else if (!clean() && ctx.channel().isActive()) {
            log.info("upstream {}: bytes sent unasked on an idle connection, closing it", pool.server().display());
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (listener != null) {
            listener.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    /**
     * An HTTP/2 server says it did not process the request when it resets the stream with
     * {@code REFUSED_STREAM}, or sends a GOAWAY whose last stream id is below this stream's (RFC 9113 §8.7):
     * the request may then be sent again whatever its method. The stream closes right after.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset && reset.errorCode() == Http2Error.REFUSED_STREAM.code()
                || evt instanceof Http2GoAwayFrame goAway && ctx.channel() instanceof Http2StreamChannel stream
                && stream.stream().id() > goAway.lastStreamId()) {
            unprocessed = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamListener current = listener;
        listener = null;
        deadline = NONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        pool.closed(this);
        if (current == null) {
            return;
        }
        String invalid = invalidResponse != null ? invalidResponse : session != null ? session.protocolError() : null;
        if (invalid != null) {
            current.onUpstreamInvalidResponse(invalid);
        } else {
            current.onUpstreamClosed(unprocessed);
        }
    }

    /**
     * On an HTTP/2 stream two kinds of exception mean that the server's response is invalid: a stream
     * error in the frames it sent (see {@link ReceivedStreamErrors}), and a head the stream codec could not
     * turn into a response (the only decoding on the stream). A failed write of the request (the stream
     * refused or closed) is neither, and stays a connection in doubt. The stream closes either way.
     *
     * <p>A connection error (a PUSH_PROMISE, a header block far over the limit …) names no stream: it
     * reaches the connection's {@link Http2Session}, and every stream then open on it takes it as its own
     * when it closes.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("upstream {}: connection error", pool.server().display(), cause);
        if (receivedStreamErrors != null && (receivedStreamErrors.isReceived(cause) || cause instanceof DecoderException)) {
            invalidResponse = String.valueOf(cause instanceof DecoderException && cause.getCause() != null
                    ? cause.getCause().getMessage() : cause.getMessage());
        }
        ctx.close();
    }
}
