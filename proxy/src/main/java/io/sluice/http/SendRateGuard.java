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

import java.util.concurrent.TimeUnit;

/**
 * {@code limits.min-send-rate}: a client that keeps bytes waiting but takes them slower than this rate
 * is disconnected. {@code send-timeout} alone is defeated by a client that reads a little now and then;
 * this measures how many bytes actually left for the socket.
 *
 * <p>It sits where the bytes are raw (before the HTTP codec) and follows each write's progress. A
 * measuring window runs only while the client has bytes waiting the whole time: whenever everything
 * written has been sent the window starts over, so a response that is slow because its source is slow
 * never counts against the client. At the end of a window of {@link #WINDOW_NANOS} an average below the
 * minimum fires {@link ConnectionTimeouts.Expired} for {@link ConnectionTimeouts.Phase#SEND}, which the
 * dispatcher handles like a send timeout.
 */
public final class SendRateGuard extends ChannelDuplexHandler {
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long minBytesPerSecond;
    private long written;
    private long sent;
    private long windowStartNanos;
    private long windowStartSent;
    private ScheduledFuture<?> check;

    public SendRateGuard(long minBytesPerSecond) {
        this.minBytesPerSecond = minBytesPerSecond;
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
            startWindow();
        }
        written += size;
        ChannelProgressivePromise tracked = ctx.newProgressivePromise();
        tracked.addListener(new Progress(size));
        if (promise.isVoid()) {
            tracked.addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        } else {
            tracked.addListener(new PromiseNotifier<>(promise));
        }
        if (check == null) {
            check = ctx.executor().scheduleAtFixedRate(() -> checkRate(ctx), WINDOW_NANOS, WINDOW_NANOS / 5,
                    TimeUnit.NANOSECONDS);
        }
        ctx.write(msg, tracked);
    }

    private void startWindow() {
        windowStartNanos = System.nanoTime();
        windowStartSent = sent;
    }

    private void checkRate(ChannelHandlerContext ctx) {
        if (written == sent) {
            // nothing waits for the client: an idle kept-alive connection runs no timer
            stop();
            return;
        }
        long elapsed = System.nanoTime() - windowStartNanos;
        if (elapsed < WINDOW_NANOS) {
            return;
        }
        long bytes = sent - windowStartSent;
        if (bytes * TimeUnit.SECONDS.toNanos(1) < minBytesPerSecond * elapsed) {
            stop();
            ctx.fireUserEventTriggered(new ConnectionTimeouts.Expired(ConnectionTimeouts.Phase.SEND));
        } else {
            startWindow();
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
        private long reported;

        Progress(long size) {
            this.size = size;
        }

        @Override
        public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
            advance(Math.min(progress, size));
        }

        @Override
        public void operationComplete(ChannelProgressiveFuture future) {
            advance(size);
        }

        private void advance(long to) {
            if (to > reported) {
                sent += to - reported;
                reported = to;
                if (sent == written) {
                    startWindow();
                }
            }
        }
    }
}
