package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.LimitsConfig;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The clocks of one client connection. It sits before the HTTP codec so that it sees raw bytes: the
 * header timeout starts with the first byte of a request (slowloris defence), not when the previous
 * response ended, which is the keep-alive timeout's job. The dispatcher moves it between phases;
 * when a clock runs out it fires {@link Expired} down the pipeline and the dispatcher decides what the
 * client gets (408, or a plain close). A connection that cannot take our bytes for {@code send-timeout}
 * is closed too: a client that stops reading must not pin a response forever.
 *
 * <p>Phases change several times per request, so a phase change only moves a deadline; one timer per
 * connection fires at the earliest pending deadline and re-arms itself when the deadline has moved
 * later. A steady keep-alive connection therefore schedules nothing per request.
 */
public final class ConnectionTimeouts extends ChannelInboundHandlerAdapter {

    /** What the connection was waiting for when its clock ran out. */
    public enum Phase { KEEPALIVE, HEADER, BODY, SEND }

    /** Fired down the pipeline when a clock runs out. */
    public record Expired(Phase phase) {
    }

    private static final long NONE = Long.MAX_VALUE;

    private final long headerNanos;
    private final long keepaliveNanos;
    private final long sendNanos;
    private final boolean stream;
    private ChannelHandlerContext ctx;
    private boolean idle;
    /** An HTTP/1.1 request has been read whole while its exchange runs: bytes arriving now start the next one. */
    private boolean requestRead;
    /** Bytes of the next request arrived while the current exchange was still running. */
    private boolean bytesAhead;
    private Phase phase;
    private long deadline = NONE;
    private ScheduledFuture<?> timer;
    private long timerFiresAt = NONE;
    private ScheduledFuture<?> sendTimer;

    public ConnectionTimeouts(LimitsConfig limits) {
        this(limits, false);
    }

    private ConnectionTimeouts(LimitsConfig limits, boolean stream) {
        this.headerNanos = limits.headerTimeout().toNanos();
        this.keepaliveNanos = limits.keepaliveTimeout().toNanos();
        this.sendNanos = limits.sendTimeout().toNanos();
        this.stream = stream;
    }

    /**
     * The clocks of one HTTP/2 stream: body and send only. A stream exists once its request head has
     * arrived and ends with its one response; header and idle time belong to the parent connection.
     */
    public static ConnectionTimeouts forStream(LimitsConfig limits) {
        return new ConnectionTimeouts(limits, true);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // a new connection has header-timeout to send its first request, like nginx's client_header_timeout
        if (!stream) {
            arm(Phase.HEADER, headerNanos);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buf.isReadable()) {
            if (idle) {
                idle = false;
                arm(Phase.HEADER, headerNanos);
            } else if (requestRead) {
                bytesAhead = true;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            cancelSendTimer();
        } else if (sendTimer == null) {
            sendTimer = ctx.executor().schedule(() -> {
                sendTimer = null;
                ctx.fireUserEventTriggered(new Expired(Phase.SEND));
            }, sendNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // a connection upgraded to a tunnel keeps running without this handler's clocks
        stopClocks();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stopClocks();
        ctx.fireChannelInactive();
    }

    private void stopClocks() {
        deadline = NONE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
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
            arm(Phase.HEADER, headerNanos);
        } else {
            arm(Phase.KEEPALIVE, keepaliveNanos);
            idle = true;
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
        requestRead = !bodyFollows;
        bytesAhead = false;
        deadline = NONE;
    }

    /** The handler asked for body bytes: they must come within body-timeout. */
    public void awaitBody(Duration bodyTimeout) {
        arm(Phase.BODY, bodyTimeout.toNanos());
    }

    /** Body bytes arrived; {@code last} when they end the request. */
    public void bodyReceived(boolean last) {
        if (last) {
            requestRead = true;
        }
        deadline = NONE;
    }

    private void arm(Phase next, long nanos) {
        phase = next;
        deadline = System.nanoTime() + nanos;
        if (timer == null || timerFiresAt > deadline) {
            schedule(deadline);
        }
    }

    private void schedule(long at) {
        if (timer != null) {
            timer.cancel(false);
        }
        timerFiresAt = at;
        timer = ctx.executor().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        timerFiresAt = NONE;
        if (deadline == NONE || !ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (now - deadline >= 0) {
            deadline = NONE;
            ctx.fireUserEventTriggered(new Expired(phase));
        } else {
            schedule(deadline);
        }
    }

    private void cancelSendTimer() {
        if (sendTimer != null) {
            sendTimer.cancel(false);
            sendTimer = null;
        }
    }
}
