package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.BodyLimits;
import io.sluice.config.LimitsConfig;
import io.sluice.tls.CloseNotifyHold;

import java.util.concurrent.TimeUnit;

/**
 * The clocks of one client connection. It sits before the HTTP codec so that it sees raw bytes: the
 * header timeout starts with the first byte of a request (slowloris defence), not when the previous
 * response ended, which is the keep-alive timeout's job. The dispatcher moves it between phases;
 * when a clock runs out it fires {@link Expired} down the pipeline and the dispatcher decides what the
 * client gets (408, or a plain close). A connection that cannot take our bytes for {@code send-timeout}
 * is closed too: a client that stops reading must not pin a response forever.
 *
 * <p>Phases change several times per request, so a phase change only moves a deadline; the connection's
 * entry in its loop's {@link LoopClock} wakes it at the earliest pending deadline, and it sets its next
 * wake-up then when the deadline has moved later. A steady keep-alive connection therefore touches the
 * clock not once per request.
 *
 * <p>{@code body-timeout} bounds each wait for body bytes, which a client defeats by sending one byte
 * just before it runs out (slow POST). {@code min-receive-rate} closes that gap: it divides the body bytes
 * received by the time spent waiting for them, in windows of {@link #RECEIVE_WINDOW_NANOS} of waiting.
 * Only waiting counts, from the moment a handler asks for body bytes until some arrive, so a proxied
 * upload held back because the upstream cannot take more never counts against the client. While the
 * dispatcher waits, the deadline is the earlier of the body timeout and the moment the window's waiting
 * time exceeds what its bytes pay for at the minimum rate (and at least one window: a grace period).
 * The rest of a body that is read only to be thrown away, because its response has been sent, must come
 * within {@code lingering-time} in all ({@link #awaitDiscardedBody}).
 *
 * <p>An HTTP/1.1 connection that has idled for {@link #RELEASE_AFTER_NANOS} between requests gives back
 * what it holds only to parse and write them ({@link IdleRelease}: the codec and its buffers) and gets it
 * back with the first byte of its next request, which this handler sees before anything else. Most of a
 * kept-alive connection's life is such idling; waiting a moment first keeps a busy connection from
 * rebuilding its codec for every request. The same clock serves it. A connection can also open released
 * ({@link #openReleased}): then its first byte brings the codec.
 */
public final class ConnectionTimeouts extends ChannelInboundHandlerAdapter implements CloseNotifyHold.Reader {

    /** What the connection was waiting for when its clock ran out. */
    public enum Phase { KEEPALIVE, HEADER, BODY, RECEIVE_RATE, LINGER, SEND }

    /** Fired down the pipeline when a clock runs out. */
    public record Expired(Phase phase) {
    }

    /**
     * Where the clocks of a stream without a pipeline of its own report (an HTTP/2 stream of {@link
     * Http2Streams}): a channel's clocks fire {@link Expired} down its pipeline instead.
     */
    public interface StreamClockOwner {
        /** False once the stream has ended: a clock that runs out then has nobody to tell. */
        boolean open();

        void expired(Phase phase);
    }

    /** What a connection can do without while it waits for its next request. */
    public interface IdleRelease {
        /** The connection has idled for a while with nothing half-read or half-written: let go. */
        void release(ChannelPipeline pipeline);

        /** Bytes of the next request have arrived and are about to pass: be ready for them. */
        void restore(ChannelPipeline pipeline);
    }

    private static final long RECEIVE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Idle time after which a connection releases what an {@link IdleRelease} names. */
    public static final long RELEASE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long NONE = Long.MAX_VALUE;

    /** The durations are read from the limits when a clock starts: a reference is smaller than three copies. */
    private final LimitsConfig limits;
    private final boolean stream;
    private final LoopClock clock;
    /** The stream these clocks serve when they are not a handler in a pipeline; {@code null} for a handler. */
    private final StreamClockOwner owner;
    /** Where this connection stands in its clock's heap; -1 while it needs no wake-up. Kept by the clock. */
    int clockIndex = -1;
    /** When the clock wakes this connection; meaningful while it is in the clock's heap. Kept by the clock. */
    long wakeAt;
    private ChannelHandlerContext ctx;
    private boolean idle;
    /** An HTTP/1.1 request has been read whole while its exchange runs: bytes arriving now start the next one. */
    private boolean requestRead;
    /** Bytes of the next request arrived while the current exchange was still running. */
    private boolean bytesAhead;
    private Phase phase;
    private long deadline = NONE;
    private ScheduledFuture<?> sendTimer;
    /** Looks at queued output while a response is leaving ({@link #outputQueued}); null while none is. */
    private ScheduledFuture<?> outputWatch;
    /** The message at the head of the output when the watch last looked, its progress, and since when both held. */
    private Object watchedOutput;
    private long watchedProgress;
    private long outputStillSince;
    private IdleRelease idleRelease;
    /** A TLS connection's hold on the client's close_notify, told whenever the connection waits for a request. */
    private CloseNotifyHold closeNotifyHold;
    /** When an idle connection releases; NONE while it is not idle or has released already. */
    private long releaseAt = NONE;
    private boolean released;
    /** When the current wait for body bytes began; NONE while no body bytes are wanted. */
    private long bodyWaitStart = NONE;
    /** Time spent waiting for body bytes in the current receive-rate window. */
    private long windowWaited;
    /** Body bytes received in the current receive-rate window. */
    private long windowBytes;
    /** When discarding the rest of this request's body after its response must end; NONE while not discarding. */
    private long lingerEnd = NONE;

    /** {@code clock}: the clock of the loop the connection runs on. */
    public ConnectionTimeouts(LimitsConfig limits, LoopClock clock) {
        this(limits, clock, false, null);
    }

    private ConnectionTimeouts(LimitsConfig limits, LoopClock clock, boolean stream, StreamClockOwner owner) {
        this.limits = limits;
        this.clock = clock;
        this.stream = stream;
        this.owner = owner;
    }

    /**
     * The clocks of one HTTP/2 stream: body and send only. A stream exists once its request head has
     * arrived and ends with its one response; header and idle time belong to the parent connection.
     */
    public static ConnectionTimeouts forStream(LimitsConfig limits, LoopClock clock) {
        return new ConnectionTimeouts(limits, clock, true, null);
    }

    /**
     * Like {@link #forStream(LimitsConfig, LoopClock)} for a stream that is not a channel: {@code owner} hears
     * of clocks that run out, and the stream reports its writability ({@link #writabilityChanged}) and its end
     * ({@link #stop}).
     */
    public static ConnectionTimeouts forStream(LimitsConfig limits, LoopClock clock, StreamClockOwner owner) {
        return new ConnectionTimeouts(limits, clock, true, owner);
    }

    /**
     * A TLS connection: {@code hold} keeps the client's close_notify while this connection owes it a response,
     * asks {@link #waitsForBytes} when the record arrives, and is told whenever a request clock starts.
     */
    public void tellWhenWaiting(CloseNotifyHold hold) {
        this.closeNotifyHold = hold;
    }

    /**
     * A request clock runs: the connection waits for a request, for the rest of one, or for the body a handler
     * asked for. While a request is served and no bytes of it are wanted, none runs: a response is owed. On
     * HTTP/2 the connection's clock runs only while no stream is open.
     */
    @Override
    public boolean waitsForBytes() {
        return deadline != NONE;
    }

    /** From now on, idle time between requests lets {@code release} go (HTTP/1.1 only). */
    public void releaseWhenIdle(IdleRelease release) {
        this.idleRelease = release;
    }

    /**
     * Like {@link #releaseWhenIdle}, for a connection that opens without what {@code release} names: the
     * first byte of its first request brings it. A client may connect well before it sends anything (a
     * browser's pre-connect, a pool that opens ahead), and until then it needs nothing to parse or write.
     */
    public void openReleased(IdleRelease release) {
        this.idleRelease = release;
        this.released = true;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // a new connection has header-timeout to send its first request, like nginx's client_header_timeout
        if (!stream) {
            arm(Phase.HEADER, limits.headerTimeout().toNanos());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buf.isReadable()) {
            if (released) {
                released = false;
                idleRelease.restore(ctx.pipeline());
            }
            if (idle) {
                idle = false;
                releaseAt = NONE;
                arm(Phase.HEADER, limits.headerTimeout().toNanos());
            } else if (requestRead) {
                bytesAhead = true;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writabilityChanged(ctx.channel().isWritable(), ctx.executor());
        ctx.fireChannelWritabilityChanged();
    }

    /** The client stopped or resumed taking our bytes: a send-timeout clock runs while it does not. */
    public void writabilityChanged(boolean writable, EventExecutor executor) {
        if (writable) {
            cancelSendTimer();
        } else if (sendTimer == null) {
            sendTimer = executor.schedule(() -> {
                sendTimer = null;
                expire(Phase.SEND);
            }, limits.sendTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The end of a response has not left at once. The channel may never turn unwritable while it waits: a file
     * region counts as no pending bytes, and a small response stuck behind full socket buffers (a client that
     * pipelines requests and reads no answer) stays below the mark, so a client that stops reading would never
     * start the send clock. While output is queued it is looked at four times per send-timeout instead: output
     * that has not moved for send-timeout is a send timeout. A busy connection keeps one watch, not one per
     * response.
     */
    public void outputQueued() {
        if (outputWatch == null && ctx != null) {
            watchedOutput = null;
            watchOutput();
        }
    }

    private void watchOutput() {
        outputWatch = ctx.executor().schedule(this::checkOutputMoves, limits.sendTimeout().toNanos() / 4,
                TimeUnit.NANOSECONDS);
    }

    private void checkOutputMoves() {
        outputWatch = null;
        ChannelOutboundBuffer output = ctx.channel().unsafe().outboundBuffer();
        if (output == null || output.isEmpty()) {
            // everything has left: the next response that does not leave at once starts a new watch
            watchedOutput = null;
            return;
        }
        Object head = output.current();
        long progress = output.currentProgress();
        long now = System.nanoTime();
        if (head != watchedOutput || progress != watchedProgress) {
            watchedOutput = head;
            watchedProgress = progress;
            outputStillSince = now;
        } else if (now - outputStillSince >= limits.sendTimeout().toNanos()) {
            watchedOutput = null;
            expire(Phase.SEND);
            return;
        }
        watchOutput();
    }

    /** The stream has ended: no clock of it runs any more. */
    public void stop() {
        stopClocks();
    }

    private void expire(Phase expired) {
        if (owner != null) {
            if (owner.open()) {
                owner.expired(expired);
            }
        } else {
            ctx.fireUserEventTriggered(new Expired(expired));
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // a connection upgraded to a tunnel keeps running without this handler's clocks
        stopClocks();
        if (closeNotifyHold != null) {
            closeNotifyHold.stop();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopClocks();
        ctx.fireChannelInactive();
    }

    private void stopClocks() {
        deadline = NONE;
        releaseAt = NONE;
        clock.cancel(this);
        cancelSendTimer();
    }

    /**
     * The previous exchange is over; the connection may idle for keepalive-timeout. The connection reads
     * ahead while an exchange runs, so part of the next request may already be here: then its head is
     * on the header clock.
     */
    public void awaitRequest() {
        if (stream) {
            return;
        }
        requestRead = false;
        if (bytesAhead) {
            bytesAhead = false;
            arm(Phase.HEADER, limits.headerTimeout().toNanos());
        } else {
            arm(Phase.KEEPALIVE, limits.keepaliveTimeout().toNanos());
            idle = true;
            if (idleRelease != null) {
                releaseAt = System.nanoTime() + RELEASE_AFTER_NANOS;
                wakeBy(releaseAt);
            }
        }
    }

    /** A request head arrived; no inbound clock runs until the handler asks for body bytes. */
    public void requestReceived() {
        requestReceived(true);
    }

    /**
     * An HTTP/1.1 request head arrived; {@code bodyFollows} says whether body bytes come after it. Bytes
     * that arrive once the request has been read whole are the next request's (see {@link #awaitRequest}).
     */
    public void requestReceived(boolean bodyFollows) {
        idle = false;
        lingerEnd = NONE;
        requestRead = !bodyFollows;
        bytesAhead = false;
        deadline = NONE;
        bodyWaitStart = NONE;
        windowWaited = 0;
        windowBytes = 0;
    }

    /**
     * The handler asked for body bytes: they must come within body-timeout, and over the window at no
     * less than the minimum receive rate.
     */
    public void awaitBody(BodyLimits body) {
        long now = System.nanoTime();
        if (bodyWaitStart == NONE) {
            bodyWaitStart = now;
        }
        long timeoutAt = now + body.bodyTimeout().toNanos();
        long rate = body.minReceiveRate();
        if (rate > 0) {
            long allowed = allowedWait(rate);
            if (windowWaited >= RECEIVE_WINDOW_NANOS) {
                // the window ended with bytes arriving, maybe just after its deadline and before the timer
                // ran: judge it now, or a trickle in step with the window would never be judged
                if (windowWaited > allowed) {
                    armAt(Phase.RECEIVE_RATE, now);
                    return;
                }
                windowWaited = 0;
                windowBytes = 0;
                allowed = RECEIVE_WINDOW_NANOS;
            }
            long rateAt = bodyWaitStart + allowed - windowWaited;
            if (rateAt - timeoutAt < 0) {
                armAt(Phase.RECEIVE_RATE, rateAt);
                return;
            }
        }
        armAt(Phase.BODY, timeoutAt);
    }

    /**
     * Like {@link #awaitBody}, for body bytes that are read only to be thrown away because the response has been
     * sent: all of them must come within lingering-time of the first such wait, as with nginx's
     * {@code lingering_time}, or a client that trickles a large body just within body-timeout holds the
     * connection for as long as it likes.
     */
    public void awaitDiscardedBody(BodyLimits body) {
        if (lingerEnd == NONE) {
            lingerEnd = System.nanoTime() + limits.lingeringTime().toNanos();
        }
        awaitBody(body);
        if (lingerEnd - deadline < 0) {
            armAt(Phase.LINGER, lingerEnd);
        }
    }

    /** {@code bytes} of body arrived; {@code last} when they end the request. */
    public void bodyReceived(int bytes, boolean last) {
        if (last) {
            requestRead = true;
        }
        deadline = NONE;
        if (bodyWaitStart != NONE) {
            windowWaited += System.nanoTime() - bodyWaitStart;
            bodyWaitStart = NONE;
        }
        windowBytes += bytes;
    }

    /** The waiting time this window's bytes pay for at {@code rate}, never less than one window. */
    private long allowedWait(long rate) {
        double paidFor = (double) windowBytes * TimeUnit.SECONDS.toNanos(1) / rate;
        return (long) Math.min(Math.max(RECEIVE_WINDOW_NANOS, paidFor), Long.MAX_VALUE / 4);
    }

    private void arm(Phase next, long nanos) {
        armAt(next, System.nanoTime() + nanos);
    }

    private void armAt(Phase next, long at) {
        phase = next;
        deadline = at;
        wakeBy(at);
        if (closeNotifyHold != null) {
            closeNotifyHold.readerWaits();
        }
    }

    /** Makes sure the clock wakes this connection no later than {@code at}. */
    private void wakeBy(long at) {
        if (clockIndex < 0 || wakeAt - at > 0) {
            clock.wake(this, at);
        }
    }

    /** The clock woke this connection, which has left its heap: runs out what is due and sets the next wake-up. */
    void onTimer(long now) {
        if (owner != null ? !owner.open() : !ctx.channel().isActive()) {
            return;
        }
        if (releaseAt != NONE && now - releaseAt >= 0) {
            releaseAt = NONE;
            // released already when the connection was told twice that it idles, with no byte in between
            if (idle && !released) {
                released = true;
                idleRelease.release(ctx.pipeline());
            }
        }
        if (deadline != NONE && now - deadline >= 0) {
            deadline = NONE;
            if (released && phase != Phase.KEEPALIVE) {
                // a connection that opened released and sent nothing is answered with a 408, which needs the codec
                released = false;
                idleRelease.restore(ctx.pipeline());
            }
            expire(phase);
        }
        long next = Math.min(deadline, releaseAt);
        if (next != NONE) {
            wakeBy(next);
        }
    }

    private void cancelSendTimer() {
        if (sendTimer != null) {
            sendTimer.cancel(false);
            sendTimer = null;
        }
        if (outputWatch != null) {
            outputWatch.cancel(false);
            outputWatch = null;
            watchedOutput = null;
        }
    }
}
