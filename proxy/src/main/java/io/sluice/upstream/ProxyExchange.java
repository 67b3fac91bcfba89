package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.UpstreamConfig;
import io.sluice.http.ErrorResponses;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One proxied request, on its client connection's event loop from start to end. It takes an upstream
 * connection from the loop's pool, streams the request body up as the client sends it (the next piece is
 * asked for only while the upstream connection is writable) and the response down as the upstream sends
 * it (the next read is asked for only while the client is writable), so memory stays bounded by a read
 * or two whatever the sizes and speeds.
 *
 * <p>Failures before the response head are answered with 502 (or 504 after {@code read-timeout}) and may
 * be retried: on a connect failure for any request, on a reset of the connection for idempotent requests
 * whose body has not started to flow. A reused connection that fails that way is retried once more on a
 * fresh connection to the same server without counting against {@code retries} (the server may have
 * closed it just as it was taken). Once part of the response is out, a failure closes the client
 * connection: the client must not take a truncated body for a whole one. A connection whose exchange did
 * not end cleanly is never pooled again.
 */
final class ProxyExchange implements ExchangeListener, UpstreamListener, ConnectCallback {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private final Exchange exchange;
    private final UpstreamConfig config;
    private final LoopUpstreams upstreams;
    private final RequestHeadBuilder requestHeads;
    private final ResponseHeadRewriter responseHeads;
    private final boolean hasBody;
    private final boolean idempotent;
    private final boolean webSocket;
    private final boolean headRequest;
    private final long readTimeoutNanos;

    private int retriesLeft;
    private long tried;
    private boolean staleRetried;
    private ConnectionPool pool;
    private UpstreamConnection connection;
    private boolean reused;
    private boolean starting;
    private boolean bodyStarted;
    private boolean bodySent;
    private boolean awaitingUpstreamWritable;
    private boolean responseReceived;
    private boolean informational;
    private boolean upstreamKeepAlive;
    private boolean readPaused;
    private boolean done;
    private long sentNanos;
    private long lastProgressNanos;
    private ScheduledFuture<?> sendTimer;
    private String lastFailure = "no upstream server to try";

    ProxyExchange(Exchange exchange, UpstreamConfig config, LoopUpstreams upstreams, RequestHeadBuilder requestHeads,
                  ResponseHeadRewriter responseHeads) {
        this.exchange = exchange;
        this.config = config;
        this.upstreams = upstreams;
        this.requestHeads = requestHeads;
        this.responseHeads = responseHeads;
        HttpRequest request = exchange.request();
        this.hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        HttpMethod method = request.method();
        this.headRequest = HttpMethod.HEAD.equals(method);
        this.idempotent = headRequest || HttpMethod.GET.equals(method) || HttpMethod.PUT.equals(method)
                || HttpMethod.DELETE.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method);
        this.webSocket = RequestHeadBuilder.isWebSocketUpgrade(request);
        this.readTimeoutNanos = config.readTimeout().toNanos();
        this.retriesLeft = config.retries();
    }

    void start() {
        starting = true;
        try {
            attempt();
        } finally {
            starting = false;
        }
    }

    private void attempt() {
        int index = upstreams.picker().pick(tried);
        if (index < 0) {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
            return;
        }
        if (index < 64) {
            tried |= 1L << index;
        }
        pool = upstreams.pools()[index];
        exchange.notes().upstreamAttempts++;
        exchange.notes().upstreamAddress = pool.server().display();
        pool.acquire(false, this);
    }

    @Override
    public void onConnected(UpstreamConnection connection, boolean reused) {
        if (done) {
            connection.pool().release(connection);
            return;
        }
        this.connection = connection;
        this.reused = reused;
        connection.attach(this);
        Channel channel = connection.channel();
        HttpRequest head = requestHeads.build(exchange, pool.server(), hasBody, webSocket);
        sentNanos = System.nanoTime();
        lastProgressNanos = sentNanos;
        channel.writeAndFlush(head, channel.voidPromise());
        if (!hasBody) {
            bodySent = true;
        } else if (starting) {
            // the dispatcher learns of this listener only when start returns; a body piece it already
            // holds must not be delivered before that
            channel.eventLoop().execute(this::readBody);
        } else {
            readBody();
        }
        channel.read();
        connection.deadline(sentNanos + readTimeoutNanos);
    }

    @Override
    public void onConnectFailed(Throwable cause) {
        if (done) {
            return;
        }
        lastFailure = "connect failed: " + cause;
        if (retriesLeft > 0) {
            retriesLeft--;
            log.warn("upstream {}: {}; trying another server", pool.server().display(), lastFailure);
            attempt();
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
        }
    }

    private void readBody() {
        if (!done && connection != null && !bodySent) {
            exchange.readBody();
        }
    }

    @Override
    public void onContent(HttpContent content) {
        if (done || connection == null) {
            content.release();
            return;
        }
        bodyStarted = true;
        lastProgressNanos = System.nanoTime();
        Channel channel = connection.channel();
        boolean last = content instanceof LastHttpContent;
        channel.writeAndFlush(content, channel.voidPromise());
        if (last) {
            bodySent = true;
        } else if (channel.isWritable()) {
            exchange.readBody();
        } else {
            awaitingUpstreamWritable = true;
            sendTimer = channel.eventLoop().schedule(this::sendTimerExpired, config.sendTimeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        if (writable && awaitingUpstreamWritable) {
            awaitingUpstreamWritable = false;
            cancelSendTimer();
            readBody();
        }
    }

    @Override
    public void onUpstreamMessage(Object message) {
        if (done) {
            ReferenceCountUtil.release(message);
            return;
        }
        lastProgressNanos = System.nanoTime();
        if (message instanceof HttpResponse response) {
            if (!onResponseHead(response)) {
                ReferenceCountUtil.release(message);
                return;
            }
        }
        if (message instanceof HttpContent content) {
            onResponseContent(content);
        } else if (!(message instanceof HttpResponse)) {
            ReferenceCountUtil.release(message);
        }
    }

    /** Returns false when the message was consumed here (failure or tunnel) and must not go on. */
    private boolean onResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            upstreamFailed("invalid response: " + response.decoderResult().cause().getMessage());
            return false;
        }
        int code = response.status().code();
        if (code == 101) {
            if (webSocket) {
                startTunnel(response);
            } else {
                upstreamFailed("101 Switching Protocols to a request that asked for no upgrade");
            }
            return false;
        }
        if (code < 200) {
            // 100 and 103 are not passed on: Sluice answered the client's Expect itself
            informational = true;
            return true;
        }
        responseReceived = true;
        exchange.notes().upstreamStatus = code;
        exchange.notes().upstreamResponseNanos = System.nanoTime() - sentNanos;
        upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        boolean bodyless = headRequest || code == 204 || code == 304;
        responseHeads.rewrite(response, bodyless, exchange.request().protocolVersion().equals(HttpVersion.HTTP_1_0));
        if (response instanceof HttpContent) {
            return true;
        }
        exchange.write(response);
        return true;
    }

    private void onResponseContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            upstreamFailed("invalid response body: " + content.decoderResult().cause().getMessage());
            return;
        }
        if (informational) {
            content.release();
            if (content instanceof LastHttpContent) {
                informational = false;
            }
            return;
        }
        if (!(content instanceof LastHttpContent)) {
            exchange.write(content);
            return;
        }
        done = true;
        cancelSendTimer();
        UpstreamConnection finished = connection;
        connection = null;
        finished.detach();
        if (upstreamKeepAlive && bodySent) {
            finished.pool().release(finished);
        } else {
            finished.channel().close();
        }
        exchange.writeAndFlush(content);
    }

    @Override
    public void onUpstreamReadComplete() {
        if (done || connection == null) {
            return;
        }
        if (responseReceived) {
            exchange.flush();
        }
        if (exchange.writable()) {
            connection.channel().read();
        } else {
            readPaused = true;
        }
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (writable && readPaused && !done && connection != null) {
            readPaused = false;
            connection.channel().read();
        }
    }

    @Override
    public void onUpstreamClosed() {
        if (done) {
            return;
        }
        connection = null;
        if (responseReceived) {
            done = true;
            cancelSendTimer();
            log.warn("upstream {}: closed mid-response to \"{} {}\"", pool.server().display(),
                    exchange.request().method(), exchange.request().uri());
            exchange.abort("upstream closed mid-response");
            return;
        }
        informational = false;
        cancelSendTimer();
        boolean unsent = !bodyStarted;
        lastFailure = "connection closed before a response";
        if (reused && unsent && idempotent && !staleRetried) {
            staleRetried = true;
            pool.acquire(true, this);
        } else if (retriesLeft > 0 && unsent && idempotent) {
            retriesLeft--;
            log.warn("upstream {}: {}; trying another server", pool.server().display(), lastFailure);
            attempt();
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
        }
    }

    @Override
    public void onAbort() {
        if (done) {
            return;
        }
        done = true;
        cancelSendTimer();
        closeConnection();
    }

    private void upstreamFailed(String reason) {
        if (responseReceived) {
            done = true;
            cancelSendTimer();
            closeConnection();
            log.warn("upstream {}: {} for \"{} {}\"", pool.server().display(), reason,
                    exchange.request().method(), exchange.request().uri());
            exchange.abort("upstream failed mid-response");
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, reason);
        }
    }

    private void fail(HttpResponseStatus status, String reason) {
        done = true;
        cancelSendTimer();
        closeConnection();
        log.warn("upstream {}: {} for \"{} {}\": {}", pool == null ? config.name() : pool.server().display(),
                status.code(), exchange.request().method(), exchange.request().uri(), reason);
        exchange.writeAndFlush(ErrorResponses.of(exchange.channel().alloc(), status, false));
    }

    private void closeConnection() {
        UpstreamConnection open = connection;
        if (open != null) {
            connection = null;
            open.detach();
            open.channel().close();
        }
    }

    private void startTunnel(HttpResponse response) {
        done = true;
        cancelSendTimer();
        exchange.notes().upstreamStatus = 101;
        exchange.notes().upstreamResponseNanos = System.nanoTime() - sentNanos;
        UpstreamConnection upgraded = connection;
        connection = null;
        upgraded.detach();
        responseHeads.rewriteSwitchingProtocols(response);
        Channel client = exchange.channel();
        exchange.upgradeToTunnel(response);
        Tunnel.open(client, upgraded.channel(), config.readTimeout());
    }

    private void cancelSendTimer() {
        if (sendTimer != null) {
            sendTimer.cancel(false);
            sendTimer = null;
        }
    }

    /** {@code send-timeout}: the upstream took none of the request body for that long. */
    private void sendTimerExpired() {
        sendTimer = null;
        if (done || !awaitingUpstreamWritable) {
            return;
        }
        String reason = "send-timeout " + config.sendTimeout().toMillis() + "ms";
        if (responseReceived) {
            upstreamFailed(reason);
        } else {
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, reason);
        }
    }

    /**
     * {@code read-timeout} counts time without progress while Sluice waits for the upstream; time the
     * response waits for a slow client is the client's {@code send-timeout}'s business.
     */
    @Override
    public void onUpstreamDeadline() {
        if (done || connection == null) {
            return;
        }
        long now = System.nanoTime();
        if (readPaused) {
            connection.deadline(now + readTimeoutNanos);
            return;
        }
        if (now - lastProgressNanos < readTimeoutNanos) {
            connection.deadline(lastProgressNanos + readTimeoutNanos);
            return;
        }
        if (responseReceived) {
            upstreamFailed("read-timeout " + config.readTimeout().toMillis() + "ms");
        } else {
            fail(HttpResponseStatus.GATEWAY_TIMEOUT, "no response within read-timeout " + config.readTimeout().toMillis() + "ms");
        }
    }
}
