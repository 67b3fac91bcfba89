package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection to an upstream server, the last handler of its pipeline (after the frame codec
 * and the stream multiplexer, which hands it the connection-level frames). It takes new streams once
 * the server's first SETTINGS arrived (within {@code connect-timeout}), while fewer than the server's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} are open, until a GOAWAY or {@code keepalive.max-requests}
 * streams; then it closes when its last stream ends. Without streams it closes after
 * {@code keepalive.idle-timeout} (at once with {@code max-idle = 0}). With {@code keepalive.ping-interval}
 * it sends a PING every interval and closes when one goes unanswered for {@code ping-timeout}: a server
 * that died without a FIN would otherwise hold its streams until their read timeouts. When it closes, the
 * multiplexer closes its streams, and each exchange still using one fails as on a closed HTTP/1.1
 * connection.
 */
final class Http2Session extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2Session.class);

    private final Http2Sessions sessions;
    private final UpstreamConfig.Keepalive keepalive;
    private final long settingsTimeoutNanos;
    private Channel channel;
    private Http2StreamChannelBootstrap streams;
    private Http2Connection.Endpoint<?> localStreams;
    private int active;
    private int served;
    private boolean ready;
    private boolean goingAway;
    private Throwable failure;
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> pingTimer;
    /** The payload of the PING waiting for its ACK; 0 when none is. */
    private long pingPayload;
    private long pingCounter;

    Http2Session(Http2Sessions sessions) {
        this.sessions = sessions;
        this.keepalive = sessions.config().keepalive();
        this.settingsTimeoutNanos = sessions.config().connectTimeout().toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        // the streams this side opens, limited by the server's SETTINGS_MAX_CONCURRENT_STREAMS
        localStreams = ctx.pipeline().get(Http2FrameCodec.class).connection().local();
        streams = new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.AUTO_READ, false)
                .handler(sessions.streamInitializer());
        timer = channel.eventLoop().schedule(this::settingsTimedOut, settingsTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    boolean takesStreams() {
        return ready && !goingAway && channel.isActive() && active < localStreams.maxActiveStreams()
                && localStreams.canOpenStream();
    }

    boolean idle() {
        return ready && active == 0;
    }

    /** Opens a stream for {@code callback}; only when {@link #takesStreams()}. */
    void open(ConnectCallback callback) {
        active++;
        boolean reused = served++ > 0;
        if (served >= keepalive.maxRequests()) {
            goingAway = true;
        }
        cancelTimer();
        streams.open().addListener((Future<Http2StreamChannel> opened) -> {
            if (!opened.isSuccess()) {
                streamEnded();
                callback.onConnectFailed(opened.cause());
                return;
            }
            Http2StreamChannel stream = opened.getNow();
            // the child channel may close while the codec is still reading the frame that ended the stream,
            // before the codec counts the stream closed: the slot is given back only after that
            stream.closeFuture().addListener(closed -> channel.eventLoop().execute(this::streamEnded));
            callback.onConnected(stream.pipeline().get(UpstreamConnection.class), reused);
        });
    }

    private void streamEnded() {
        active--;
        if (active == 0) {
            if (goingAway || keepalive.maxIdle() == 0) {
                channel.close();
            } else if (channel.isActive()) {
                scheduleIdleTimer();
            }
        }
        sessions.dispatch();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame settings) {
                if (!ready && localStreams.maxActiveStreams() == 0) {
                    failure = new IOException("the server allows no streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)");
                    ctx.close();
                } else if (!ready) {
                    ready = true;
                    cancelTimer();
                    scheduleIdleTimer();
                    schedulePing();
                    sessions.ready(this);
                } else {
                    sessions.dispatch();
                }
            } else if (msg instanceof Http2PingFrame ping && ping.ack() && ping.content() == pingPayload) {
                pingPayload = 0;
            } else if (msg instanceof Http2GoAwayFrame goAway) {
                log.debug("upstream {}: GOAWAY {} after stream {}", channel.remoteAddress(), goAway.errorCode(),
                        goAway.lastStreamId());
                goingAway = true;
                if (active == 0) {
                    ctx.close();
                }
                sessions.dispatch();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void scheduleIdleTimer() {
        if (active == 0) {
            timer = channel.eventLoop().schedule(this::idleTimedOut, keepalive.idleTimeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void schedulePing() {
        if (!keepalive.pingInterval().isZero()) {
            pingTimer = channel.eventLoop().schedule(this::ping, keepalive.pingInterval().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void ping() {
        pingPayload = ++pingCounter;
        channel.writeAndFlush(new DefaultHttp2PingFrame(pingPayload), channel.voidPromise());
        pingTimer = channel.eventLoop().schedule(this::pingTimedOut, keepalive.pingTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void pingTimedOut() {
        if (pingPayload == 0) {
            long rest = keepalive.pingInterval().toNanos() - keepalive.pingTimeout().toNanos();
            pingTimer = channel.eventLoop().schedule(this::ping, Math.max(0, rest), TimeUnit.NANOSECONDS);
            return;
        }
        pingTimer = null;
        log.info("upstream {}: no PING ACK within ping-timeout {}ms, closing the connection", channel.remoteAddress(),
                keepalive.pingTimeout().toMillis());
        failure = new IOException("no HTTP/2 PING ACK from the server within ping-timeout "
                + keepalive.pingTimeout().toMillis() + "ms");
        channel.close();
    }

    private void settingsTimedOut() {
        timer = null;
        if (!ready) {
            failure = new IOException("no HTTP/2 SETTINGS from the server within connect-timeout "
                    + sessions.config().connectTimeout().toMillis() + "ms");
            channel.close();
        }
    }

    private void idleTimedOut() {
        timer = null;
        if (active == 0) {
            channel.close();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        if (pingTimer != null) {
            pingTimer.cancel(false);
            pingTimer = null;
        }
        sessions.closed(this, failure != null ? failure
                : new IOException("connection closed before the server's HTTP/2 SETTINGS"));
        ctx.fireChannelInactive();
    }

    /**
     * Why the connection was closed, when the server broke HTTP/2 on it: the frame codec reports a connection
     * error in what it received here, with an {@link Http2Exception}; null for I/O failures and timeouts.
     */
    String protocolError() {
        return failure instanceof Http2Exception ? String.valueOf(failure.getMessage()) : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("upstream {}: HTTP/2 connection error", channel.remoteAddress(), cause);
        if (failure == null) {
            failure = cause;
        }
        ctx.close();
    }
}
