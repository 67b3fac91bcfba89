package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.http.ErrorResponses;
import io.sluice.http.Exchange;
import io.sluice.http.HeadroomResponse;
import io.sluice.http.Http2Connections;
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
 * closed it just as it was taken). An HTTP/2 stream that the server refused, or that lies beyond the last
 * stream its GOAWAY named, was not processed (RFC 9113 §8.7): it is retried the same way whatever the
 * method, and with its body: what was sent of it to an HTTP/2 upstream is held until the response head
 * (up to {@link HeldRequestBody#LIMIT}) for that. An invalid response (one the HTTP/1.1 decoder refuses,
 * an HTTP/2 stream or connection error in what the server sent) is the server's answer, not a connection
 * in doubt: 502 at once, never sent again, as nginx does not retry {@code invalid_header} by default. Once
 * part of the response is out, a failure closes the client connection: the client must not take a
 * truncated body for a whole one. A connection whose exchange did not end cleanly is never pooled again.
 *
 * <p>With an HTTP/2 upstream the connection is a stream whose pipeline speaks the same HTTP/1-style
 * messages, so the relay is the same; it also gets {@code te: trailers} when the client sent it. Response
 * trailers, whatever the upstream protocol, go to HTTP/2 clients, and to HTTP/1.1 clients only when they
 * sent {@code TE: trailers}.
 */
final class ProxyExchange implements ExchangeListener, UpstreamListener, ConnectCallback {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);

    private final Exchange exchange;
    private final UpstreamConfig config;
    private final LoopUpstreams upstreams;
    private final RequestHeadBuilder requestHeads;
    private final ResponseHeadRewriter responseHeads;
    private final boolean hasBody;
    private final boolean chunked;
    private final boolean idempotent;
    private final boolean webSocket;
    private final boolean headRequest;
    private final long readTimeoutNanos;
    private final ServerPicker picker;
    private final CharSequence hashKey;
    private final boolean failOn5xx;
    private final boolean http2Upstream;
    private final boolean clientMultiplexed;
    private final boolean clientTakesTrailers;

    private int retriesLeft;
    private long tried;
    private boolean staleRetried;
    private ConnectionPool pool;
    private UpstreamConnection connection;
    private boolean reused;
    private boolean starting;
    private boolean bodyStarted;
    /**
     * The request body a new attempt sends first (see {@link HeldRequestBody}); null while there is none. With
     * an HTTP/2 upstream, as long as it is not null it holds every byte of the body sent so far, until the
     * response head: a body that outgrew it can no longer go again.
     */
    private HeldRequestBody held;
    private boolean bodyTooLargeToResend;
    private boolean bodySent;
    private boolean awaitingUpstreamWritable;
    private boolean responseReceived;
    private boolean informational;
    private boolean upstreamKeepAlive;
    private boolean readPaused;
    /**
     * The response head, held from its arrival to the next message of the same read: when that is the end of
     * the body, head and body go to the client as one message.
     */
    private HttpResponse heldHead;
    private boolean done;
    private long sentNanos;
    private long lastProgressNanos;
    private ScheduledFuture<?> sendTimer;
    private String lastFailure = "no upstream server to try";
    private int attemptServer = -1;
    private boolean attemptReported;
    /** This exchange's place in the picker's wait queue; made on the first wait, most exchanges never wait. */
    private Runnable dequeued;
    private ScheduledFuture<?> queueTimer;

    ProxyExchange(Exchange exchange, UpstreamConfig config, LoopUpstreams upstreams, RequestHeadBuilder requestHeads,
                  ResponseHeadRewriter responseHeads) {
        this.exchange = exchange;
        this.config = config;
        this.upstreams = upstreams;
        this.requestHeads = requestHeads;
        this.responseHeads = responseHeads;
        HttpRequest request = exchange.request();
        // a request that arrived whole (every decoder's form of one without a body) has nothing to frame
        boolean whole = request instanceof LastHttpContent;
        this.chunked = !whole && HttpUtil.isTransferEncodingChunked(request);
        this.hasBody = chunked || !whole && HttpUtil.getContentLength(request, 0L) > 0;
        HttpMethod method = request.method();
        this.headRequest = HttpMethod.HEAD.equals(method);
        this.idempotent = headRequest || HttpMethod.GET.equals(method) || HttpMethod.PUT.equals(method)
                || HttpMethod.DELETE.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method);
        this.webSocket = RequestHeadBuilder.isWebSocketUpgrade(request);
        this.readTimeoutNanos = config.readTimeout().toNanos();
        this.retriesLeft = config.retries();
        this.picker = upstreams.picker();
        BalancingConfig balancing = config.balancing();
        this.hashKey = balancing.algorithm() == BalancingConfig.Algorithm.HASH
                ? HashKeys.of(exchange, balancing.hashKey()) : null;
        this.failOn5xx = balancing.passiveHealth().failOn5xx();
        this.http2Upstream = config.protocol() != UpstreamConfig.Protocol.HTTP1;
        this.clientMultiplexed = exchange.multiplexed();
        this.clientTakesTrailers = request.headers().containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
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
        endAttempt();
        int index = picker.pick(tried, hashKey);
        if (index == ServerPicker.SATURATED) {
            queue();
            return;
        }
        if (index == ServerPicker.NONE_AVAILABLE && tried == 0) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "every server of upstream " + config.name() + " is out of service");
            return;
        }
        if (index < 0) {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
            return;
        }
        picker.attemptStarted(index, tried != 0);
        attemptServer = index;
        attemptReported = false;
        if (index < 64) {
            tried |= 1L << index;
        }
        pool = upstreams.pools()[index];
        exchange.notes().upstreamAttempts++;
        exchange.notes().upstreamAddress = pool.server().display();
        UpstreamConnection idle = pool.takeIdle();
        if (idle != null) {
            onConnected(idle, true);
        } else {
            pool.connect(this);
        }
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
        sentNanos = System.nanoTime();
        lastProgressNanos = sentNanos;
        if (http2Upstream) {
            HttpRequest head = requestHeads.build(exchange, pool.server(), hasBody, chunked, webSocket);
            if (clientTakesTrailers) {
                // the one TE value HTTP/2 allows, and the one gRPC servers insist on
                head.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
            }
            channel.writeAndFlush(head, channel.voidPromise());
        } else {
            connection.sendHead(requestHeads.encode(exchange, pool.server(), hasBody, chunked, webSocket, channel.alloc()),
                    headRequest, chunked);
        }
        if (!hasBody) {
            bodySent = true;
        } else if (held != null && !held.isEmpty()) {
            resendHeld();
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
        verdict(true);
        if (retriesLeft > 0 && picker.tryRetry()) {
            retriesLeft--;
            log.warn("upstream {}: {}; trying another server", pool.server().display(), lastFailure);
            attempt();
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
        }
    }

    /** A new attempt sends what the last one had sent, or what arrived meanwhile, before reading on. */
    private void resendHeld() {
        bodyStarted = true;
        bodySent = held.ended();
        if (http2Upstream) {
            held.sendCopies(connection);
        } else {
            held.sendAll(connection);
            held = null;
        }
        readBody();
    }

    private void readBody() {
        if (!done && connection != null && !bodySent) {
            exchange.readBody();
        }
    }

    @Override
    public void onContent(HttpContent content) {
        if (done) {
            content.release();
            return;
        }
        if (connection == null) {
            // asked for by the attempt that failed: the next one sends it first
            if (!hold(content)) {
                content.release();
                fail(HttpResponseStatus.BAD_GATEWAY, "the request body is too large to send again");
            }
            return;
        }
        bodyStarted = true;
        lastProgressNanos = System.nanoTime();
        Channel channel = connection.channel();
        boolean last = content instanceof LastHttpContent;
        if (http2Upstream && !responseReceived && !bodyTooLargeToResend) {
            HttpContent copy = content.retainedDuplicate();
            if (!hold(copy)) {
                copy.release();
                bodyTooLargeToResend = true;
                releaseHeld();
            }
        }
        connection.sendBody(content);
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

    /** Takes {@code piece} over into {@link #held}; false, leaving it with the caller, past its limit. */
    private boolean hold(HttpContent piece) {
        if (bodyTooLargeToResend) {
            return false;
        }
        if (held == null) {
            held = new HeldRequestBody();
        }
        return held.keep(piece);
    }

    private void releaseHeld() {
        if (held != null) {
            held.release();
            held = null;
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
        // an interim (1xx) response is no progress towards the answer: an upstream sending them forever
        // must still run into read-timeout
        boolean interim = informational || message instanceof HttpResponse head
                && head.status().codeClass() == HttpStatusClass.INFORMATIONAL && head.status().code() != 101;
        if (!interim) {
            lastProgressNanos = System.nanoTime();
        }
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
            if (!webSocket) {
                upstreamFailed("101 Switching Protocols to a request that asked for no upgrade");
            } else if (!RequestHeadBuilder.switchesToWebSocket(response)) {
                // a tunnel to another protocol (h2c) would carry requests that never pass Sluice's rules
                upstreamFailed("101 Switching Protocols to \"" + response.headers().get(HttpHeaderNames.UPGRADE, "")
                        + "\", not the websocket the client asked for");
            } else {
                startTunnel(response);
            }
            return false;
        }
        if (code < 200) {
            // 100 and 103 are not passed on: Sluice answered the client's Expect itself
            informational = true;
            return true;
        }
        responseReceived = true;
        verdict(failOn5xx && code >= 500);
        exchange.notes().upstreamStatus = code;
        exchange.notes().upstreamResponseNanos = System.nanoTime() - sentNanos;
        boolean bodyless = headRequest || code == 204 || code == 304;
        if (http2Upstream) {
            Http2Connections.stripTranslationHeaders(response.headers());
            // answered: the request is not sent again (an HTTP/1.1 attempt holds nothing once it has sent)
            releaseHeld();
        }
        boolean full = response instanceof FullHttpResponse;
        if (full && !clientMultiplexed && !bodyless && !HttpUtil.isContentLengthSet(response)) {
            // an HTTP/2 response that ended with its HEADERS: its length is known, and an HTTP/1.1 client
            // is better served by it than by a chunked body
            HttpUtil.setContentLength(response, ((FullHttpResponse) response).content().readableBytes());
        }
        if (!full && !bodyless && endsWithClose(response)) {
            exchange.notes().upstreamBodyEndsWithClose = true;
        }
        upstreamKeepAlive = responseHeads.rewrite(response, bodyless,
                exchange.request().protocolVersion().equals(HttpVersion.HTTP_1_0));
        if (!full) {
            heldHead = response;
        }
        return true;
    }

    /**
     * The body ends when the upstream closes its connection (RFC 9112 §6.3): neither a length nor chunked.
     * Read before the head is rewritten, which frames such a body for the client: the cache (through the
     * exchange's notes) must still know that a close cut short looks like a whole body. An HTTP/2 response is always framed (by END_STREAM;
     * the stream codec marks it chunked when it has no length).
     */
    private static boolean endsWithClose(HttpResponse response) {
        return !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response);
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
            writeHeldHead();
            exchange.write(content);
            return;
        }
        if (!clientMultiplexed && !clientTakesTrailers && content instanceof LastHttpContent last
                && !last.trailingHeaders().isEmpty()) {
            // an HTTP/1.1 client that did not say TE: trailers may not expect fields after the body
            last.trailingHeaders().clear();
        }
        done = true;
        endAttempt();
        cancelSendTimer();
        UpstreamConnection finished = connection;
        connection = null;
        finished.detach();
        if (upstreamKeepAlive && bodySent) {
            finished.pool().release(finished);
        } else {
            finished.channel().close();
        }
        HttpResponse head = heldHead;
        heldHead = null;
        exchange.writeAndFlush(head == null ? content : whole(head, (LastHttpContent) content));
    }

    /**
     * Head and last (often only) piece of the body as one message: one pass through the client's pipeline.
     * To an HTTP/1.1 client, without trailers, it is a {@link HeadroomResponse}: when the decoder left the
     * upstream head's bytes in front of the body, the client's head is written into them.
     */
    private FullHttpResponse whole(HttpResponse head, LastHttpContent last) {
        ByteBuf body = last.content();
        if (!clientMultiplexed && last.trailingHeaders().isEmpty() && head.protocolVersion() == HttpVersion.HTTP_1_1) {
            return new HeadroomResponse(head.status(), body, head.headers());
        }
        // the bytes in front of the body are for the HTTP/1.1 encoder alone: the HTTP/3 path, for one, was
        // seen to send such a buffer from its start rather than from its reader index (Http3IT)
        return new DefaultFullHttpResponse(head.protocolVersion(), head.status(),
                body.readerIndex() == 0 ? body : body.slice(), head.headers(), last.trailingHeaders());
    }

    private void writeHeldHead() {
        if (heldHead != null) {
            exchange.write(heldHead);
            heldHead = null;
        }
    }

    @Override
    public void onUpstreamReadComplete() {
        if (done || connection == null) {
            return;
        }
        if (responseReceived) {
            writeHeldHead();
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
    public void onUpstreamClosed(boolean unprocessed) {
        if (done) {
            return;
        }
        connection = null;
        if (responseReceived) {
            done = true;
            endAttempt();
            cancelSendTimer();
            log.warn("upstream {}: closed mid-response to \"{} {}\"", pool.server().display(),
                    exchange.request().method(), exchange.request().uri());
            exchange.abort("upstream closed mid-response");
            return;
        }
        informational = false;
        cancelSendTimer();
        awaitingUpstreamWritable = false;
        // with an HTTP/2 upstream a body held whole since it started to flow can go again
        boolean unsent = !bodyStarted || held != null;
        boolean repeatable = unsent && (idempotent || unprocessed);
        lastFailure = unprocessed ? "the server refused the stream or went away before processing it"
                : "connection closed before a response";
        if ((reused || unprocessed) && repeatable && !staleRetried) {
            staleRetried = true;
            pool.connect(this);
            return;
        }
        verdict(true);
        if (retriesLeft > 0 && repeatable && picker.tryRetry()) {
            retriesLeft--;
            log.warn("upstream {}: {}; trying another server", pool.server().display(), lastFailure);
            attempt();
        } else {
            fail(HttpResponseStatus.BAD_GATEWAY, lastFailure);
        }
    }

    @Override
    public void onUpstreamInvalidResponse(String reason) {
        if (done) {
            return;
        }
        connection = null;
        informational = false;
        upstreamFailed("invalid response: " + reason);
    }

    @Override
    public void onAbort() {
        if (done) {
            return;
        }
        done = true;
        endAttempt();
        cancelSendTimer();
        closeConnection();
        releaseHeld();
        if (queueTimer != null) {
            picker.cancelWait(dequeued);
            cancelQueueTimer();
        }
    }

    private void upstreamFailed(String reason) {
        verdict(true);
        if (responseReceived) {
            done = true;
            endAttempt();
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
        if (status != HttpResponseStatus.SERVICE_UNAVAILABLE) {
            verdict(true);
        }
        done = true;
        endAttempt();
        cancelSendTimer();
        closeConnection();
        releaseHeld();
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
        endAttempt();
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

    /** Every server that could take the request is at {@code max-connections}: wait for a slot, or 503. */
    private void queue() {
        EventLoop loop = exchange.channel().eventLoop();
        if (dequeued == null) {
            dequeued = this::dequeued;
        }
        if (!picker.await(dequeued, loop)) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "every server of upstream " + config.name()
                    + " is at max-connections and the queue is full");
            return;
        }
        queueTimer = loop.schedule(this::queueTimedOut, config.balancing().queue().timeout().toNanos(),
                TimeUnit.NANOSECONDS);
    }

    private void dequeued() {
        cancelQueueTimer();
        if (!done) {
            attempt();
        }
    }

    private void queueTimedOut() {
        queueTimer = null;
        if (!done && picker.cancelWait(dequeued)) {
            fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no slot within queue.timeout "
                    + config.balancing().queue().timeout().toMillis() + "ms");
        }
    }

    private void cancelQueueTimer() {
        if (queueTimer != null) {
            queueTimer.cancel(false);
            queueTimer = null;
        }
    }

    /** Tells the balancer how the current attempt's server did, once per attempt. */
    private void verdict(boolean failed) {
        if (attemptServer >= 0 && !attemptReported) {
            attemptReported = true;
            picker.report(attemptServer, failed);
        }
    }

    /** The current attempt no longer occupies its server. */
    private void endAttempt() {
        if (attemptServer >= 0) {
            picker.attemptEnded(attemptServer);
            attemptServer = -1;
        }
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
