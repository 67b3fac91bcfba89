package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * {@code limits.min-send-rate}: a client that keeps bytes waiting but takes them slower than this rate
 * is disconnected. {@code send-timeout} alone is defeated by a client that reads a little now and then;
 * this measures how many bytes actually left for the socket.
 *
 * <p>It sits where the bytes are raw (before the HTTP codec) and follows each write's progress. Only time
 * while the client has bytes waiting counts: on a TCP connection a measuring window starts over whenever
 * everything written has been sent, so a response that is slow because its source is slow never counts
 * against the client. Once the time waited in a window reaches {@link #WINDOW_NANOS}, an average below the
 * minimum fires {@link ConnectionTimeouts.Expired} for {@link ConnectionTimeouts.Phase#SEND}, which the
 * dispatcher handles like a send timeout.
 *
 * <p>A QUIC stream ({@link #forQuicStream}) differs in two ways. It reports no progress: its writes go straight
 * to QUIC, which takes a buffer whole or in part, as far as the client's flow-control credit (MAX_STREAM_DATA,
 * MAX_DATA) lets it, and keeps the rest queued until the client grants more. What QUIC took of a queued buffer
 * shows in the buffer's reader index, so the guard looks at the oldest write still queued when it judges. And
 * a stream holds one chunk of the response at a time (it turns unwritable as soon as QUIC queues), so a client
 * granting a little at a time takes all that was written between chunks: were the window to start over then,
 * it would never be judged. There the time waited adds up across such pauses (the pauses themselves, the
 * source being slow, still do not count). A client that opens its window a little at a time, which keeps the
 * stream writable now and then so that {@code send-timeout} never runs out, is judged like a TCP client that
 * reads a trickle.
 */
public final class SendRateGuard extends ChannelDuplexHandler {
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long NOT_WAITING = Long.MIN_VALUE;

    private final long minBytesPerSecond;
    /** The writes not yet taken whole, oldest first, on a QUIC stream; null on a TCP connection. */
    private final ArrayDeque<Progress> queued;
    private long written;
    private long sent;
    /** Since when the client has had bytes waiting; {@link #NOT_WAITING} while it has taken everything written. */
    private long waitingSince = NOT_WAITING;
    /** Time the client had bytes waiting in this window, before the current wait. */
    private long waited;
    /** Bytes sent in this window. */
    private long windowSent;
    private ScheduledFuture<?> check;

    public SendRateGuard(long minBytesPerSecond) {
        this(minBytesPerSecond, null);
    }

    private SendRateGuard(long minBytesPerSecond, ArrayDeque<Progress> queued) {
        this.minBytesPerSecond = minBytesPerSecond;
        this.queued = queued;
    }

    /**
     * The guard of one HTTP/3 request stream, first in its pipeline (before the HTTP/3 frame codec, where the
     * bytes are raw): it measures what QUIC takes of that stream's writes.
     */
    public static SendRateGuard forQuicStream(long minBytesPerSecond) {
        return new SendRateGuard(minBytesPerSecond, new ArrayDeque<>());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long size = msg instanceof ByteBuf buf ? buf.readableBytes()
                : msg instanceof FileRegion region ? region.count() - region.transferred() : 0;
        if (size == 0) {
            ctx.write(msg, promise);
            return;
        }
        if (written == sent) {
            waitingSince = System.nanoTime();
        }
        written += size;
        // QUIC copies a heap buffer before it takes part of it: only a direct one shows what was taken
        Progress progress = new Progress(size, queued != null && msg instanceof ByteBuf buf && buf.isDirect() ? buf : null);
        if (queued != null) {
            queued.add(progress);
        }
        ChannelProgressivePromise tracked = ctx.newProgressivePromise();
        tracked.addListener(progress);
        if (promise.isVoid()) {
            tracked.addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        } else {
            tracked.addListener(new PromiseNotifier<>(promise));
        }
        ctx.write(msg, tracked);
        // a write QUIC took whole at once leaves nothing waiting: a stream whose response leaves at once runs no timer
        if (check == null && written != sent) {
            check = ctx.executor().scheduleAtFixedRate(() -> checkRate(ctx), WINDOW_NANOS, WINDOW_NANOS / 5,
                    TimeUnit.NANOSECONDS);
        }
    }

    /** The client has taken everything written. */
    private void allSent() {
        waited += System.nanoTime() - waitingSince;
        waitingSince = NOT_WAITING;
        if (queued == null) {
            waited = 0;
            windowSent = 0;
        }
    }

    private void checkRate(ChannelHandlerContext ctx) {
        if (written == sent && queued == null) {
            // nothing waits for the client: an idle kept-alive connection runs no timer
            stop();
            return;
        }
        if (queued != null && !queued.isEmpty()) {
            queued.peek().advanceToTaken();
        }
        long now = System.nanoTime();
        long waitedNow = waited + (waitingSince == NOT_WAITING ? 0 : now - waitingSince);
        if (waitedNow < WINDOW_NANOS) {
            return;
        }
        if (windowSent * TimeUnit.SECONDS.toNanos(1) < minBytesPerSecond * waitedNow) {
            stop();
            ctx.fireUserEventTriggered(new ConnectionTimeouts.Expired(ConnectionTimeouts.Phase.SEND));
        } else {
            waited = 0;
            windowSent = 0;
            if (waitingSince != NOT_WAITING) {
                waitingSince = now;
            }
        }
    }

    private void stop() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    /** Adds one write's progress to {@link #sent}; a failed or abandoned write counts as sent. */
    private final class Progress implements ChannelProgressiveFutureListener {
        private final long size;
        /** The buffer written on a QUIC stream, looked at only while QUIC holds it queued; else null. */
        private final ByteBuf buffer;
        private long reported;

        Progress(long size, ByteBuf buffer) {
            this.size = size;
            this.buffer = buffer;
        }

        /** A QUIC stream's queued write: what QUIC has taken of it so far counts as sent. */
        void advanceToTaken() {
            if (buffer != null) {
                advance(size - buffer.readableBytes());
            }
        }

        @Override
        public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
            advance(Math.min(progress, size));
        }

        @Override
        public void operationComplete(ChannelProgressiveFuture future) {
            if (queued != null) {
                queued.remove(this);
            }
            advance(size);
        }

        private void advance(long to) {
            if (to > reported) {
                sent += to - reported;
                windowSent += to - reported;
                reported = to;
                if (sent == written) {
                    allSent();
                }
            }
        }
    }
}
