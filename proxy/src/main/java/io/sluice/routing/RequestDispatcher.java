package io.sluice.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
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
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.BodyLimits;
import io.sluice.config.HstsConfig;
import io.sluice.config.LocationConfig;
import io.sluice.http.AlternativeServices;
import io.sluice.http.Authority;
import io.sluice.http.ClientLink;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.ErrorResponses;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;
import io.sluice.http.ExchangeNotes;
import io.sluice.http.HeadroomResponse;
import io.sluice.http.HttpsRedirect;
import io.sluice.http.ReadAheadFlowControl;
import io.sluice.http.Rejection;
import io.sluice.http.RequestPath;
import io.sluice.http.RequestValidator;
import io.sluice.http.ResponseHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/**
 * Serves a client link's requests one at a time, in order: validate, route, hand to the location's handler,
 * and only when the response has been written (and the request body consumed) read the next request. The
 * link delivers a message only when asked ({@link ClientLink#read}): behind a {@link ReadAheadFlowControl}
 * on HTTP/1.1, so pipelined requests wait their turn, and body bytes reach a handler only when it asks for
 * them. The link reports its reads, writability, clocks and end here; {@link DispatchingHandler} does that
 * for a channel pipeline.
 *
 * <p>On HTTP/2 and HTTP/3 each stream has its own dispatcher that serves the stream's one request; the
 * connection's lifetime belongs to the connection, so there is no keep-alive decision and no hop-by-hop
 * {@code Connection} header (illegal in both). An HTTP/2 stream whose request has been read whole is done
 * with once its response is handed over: the stream closes when that has left, so nothing is read after it.
 */
public final class RequestDispatcher implements ClientLink.Receiver {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);
    private static final AsciiString STRICT_TRANSPORT_SECURITY = AsciiString.cached("strict-transport-security");
    private static final AsciiString ALT_SVC = AsciiString.cached("alt-svc");
    private static final ExchangeHandler NOT_FOUND = exchange -> {
        exchange.writeAndFlush(ErrorResponses.of(exchange.channel().alloc(), HttpResponseStatus.NOT_FOUND, false));
        return ExchangeListener.IGNORE_BODY;
    };

    private final ConnectionRoutes routes;
    /**
     * {@link #advance} as a task, made when first needed: an HTTP/2 stream whose request was read whole never
     * needs it (its exchange ends with the response), and it has a dispatcher of its own.
     */
    private Runnable advanceTask;
    private final boolean secure;
    private final AlternativeServices alternatives;
    private final ClientLink link;
    private final ByteBufAllocator alloc;
    private final ConnectionTimeouts timeouts;
    private final boolean multiplexed;
    /** One stream of an HTTP/2 connection: it carries exactly one request and closes after its response. */
    private final boolean endsWithResponse;
    private ActiveExchange current;
    private boolean dispatching;
    private boolean advancePending;
    private boolean closing;
    private boolean draining;
    /** A read was asked for and no message has answered it yet. */
    private boolean readWanted;
    /** The client of this connection's requests, once one was served (a PROXY header has been read by then). */
    private InetSocketAddress requestClient;
    /** The last request's Host value and the host name it gave (see {@link #hostOf}). */
    private String lastHostHeader;
    private String lastHost;

    /**
     * {@code alternatives}: the {@code Alt-Svc} values of the blocks on a TLS listener, {@code null} for none.
     * {@code timeouts} are the clocks of the link, which tells the dispatcher when one runs out. {@code routes}
     * are the link's connection's (shared by the streams of an HTTP/2 connection).
     */
    public RequestDispatcher(ConnectionRoutes routes, boolean secure, AlternativeServices alternatives,
                             ClientLink link, ConnectionTimeouts timeouts) {
        this.routes = routes;
        this.secure = secure;
        this.alternatives = alternatives;
        this.link = link;
        this.alloc = link.alloc();
        this.timeouts = timeouts;
        this.multiplexed = link.multiplexed();
        this.endsWithResponse = link.endsWithResponse();
    }

    /** The link is open: the first request is read. */
    @Override
    public void start() {
        requestRead();
    }

    /**
     * Auto-read is off, so nothing arrives unless asked for. A read cycle can end (channelReadComplete)
     * without producing a message, e.g. when the bytes held only part of a request head; the wish to
     * read is then renewed there.
     */
    private void requestRead() {
        readWanted = true;
        link.read();
    }

    /** A read of the link has ended, with or without a message. */
    public void readComplete() {
        if (readWanted && !closing) {
            link.read();
        }
    }

    /** A message the link read: a request head or a piece of a request body; the dispatcher owns it. */
    @Override
    public void received(Object msg) {
        readWanted = false;
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        dispatching = true;
        try {
            if (msg instanceof HttpRequest request && current == null) {
                onRequest(request);
            } else if (msg instanceof HttpContent content && current != null) {
                onContent(content);
            } else {
                ReferenceCountUtil.release(msg);
            }
        } finally {
            dispatching = false;
        }
        if (advancePending) {
            advancePending = false;
            advance();
        }
    }

    private void onRequest(HttpRequest request) {
        // not yet validated: any framing header counts as a body to come
        timeouts.requestReceived(HttpUtil.isContentLengthSet(request) || HttpUtil.isTransferEncodingChunked(request));
        Rejection rejection = RequestValidator.check(request);
        String path = null;
        if (rejection == null) {
            path = RequestPath.normalize(RequestPath.rawPath(request.uri()));
            if (path == null) {
                rejection = new Rejection(HttpResponseStatus.BAD_REQUEST, "invalid path");
            }
        }
        if (rejection != null) {
            ReferenceCountUtil.release(request);
            reject(rejection, request);
            return;
        }
        String host = hostOf(request.headers().get(HttpHeaderNames.HOST));
        // one snapshot per request: a reload in the middle of this exchange does not change its route
        Router snapshot = routes.snapshot();
        ServerRoutes server = routes.hosts().select(host);
        Route route = server.match(path);
        LocationConfig location = route == null ? null : route.location();
        BodyLimits limits = location == null ? snapshot.config().limits().body() : location.bodyLimits();
        HstsConfig hsts = server.server().hsts();
        ActiveExchange exchange = new ActiveExchange(request, host, path, location, limits,
                route == null ? server.unmatched() : route.recorder(), secure && hsts != null ? hsts.headerValue() : null,
                alternatives == null ? null : alternatives.headerFor(server.server()));
        long declaredLength = HttpUtil.getContentLength(request, -1L);
        if (declaredLength > limits.maxBodySize()) {
            ReferenceCountUtil.release(request);
            current = exchange;
            reject(new Rejection(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "body of " + declaredLength + " bytes over max-body-size " + limits.maxBodySize()), request);
            return;
        }
        current = exchange;
        int httpsPort = server.server().redirectToHttps();
        ExchangeHandler handler = !secure && httpsPort > 0 ? HttpsRedirect.to(httpsPort)
                : route == null ? NOT_FOUND : route.handler();
        try {
            exchange.listener = handler.start(exchange);
        } catch (RuntimeException e) {
            log.error("handler for {} failed", location == null ? path : location.configPath(), e);
            exchange.listener = ExchangeListener.IGNORE_BODY;
            if (!exchange.responseStarted) {
                exchange.writeAndFlush(ErrorResponses.of(alloc, HttpResponseStatus.INTERNAL_SERVER_ERROR, true));
            } else {
                exchange.abort("handler failed: " + e);
            }
        }
    }

    /**
     * The host name of a Host value the validator accepted, or {@code ""} without one. A client sends the
     * same Host on every request of its connection (the HTTP/1.1 decoder then hands on the same string), so
     * the last answer is kept rather than cut from the value again.
     */
    private String hostOf(String hostHeader) {
        if (hostHeader == null) {
            return "";
        }
        if (!hostHeader.equals(lastHostHeader)) {
            lastHost = Authority.hostOfValid(hostHeader);
            lastHostHeader = hostHeader;
        }
        return lastHost;
    }

    private VirtualHosts servingHosts() {
        routes.snapshot();
        return routes.hosts();
    }

    private void onContent(HttpContent content) {
        ActiveExchange exchange = current;
        timeouts.bodyReceived(content.content().readableBytes(), content instanceof LastHttpContent);
        if (content.decoderResult().isFailure()) {
            content.release();
            failBody(exchange, new Rejection(HttpResponseStatus.BAD_REQUEST,
                    "malformed body: " + content.decoderResult().cause().getMessage()));
            return;
        }
        boolean last = content instanceof LastHttpContent;
        exchange.bodyBytes += content.content().readableBytes();
        if (exchange.bodyBytes > exchange.limits.maxBodySize()) {
            content.release();
            failBody(exchange, new Rejection(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "body over max-body-size " + exchange.limits.maxBodySize()));
            return;
        }
        if (last) {
            exchange.bodyPending = false;
        }
        if (exchange.discarding) {
            content.release();
            if (last) {
                finish(exchange);
            } else {
                readBodyFor(exchange);
            }
            return;
        }
        exchange.listener.onContent(content);
    }

    private void failBody(ActiveExchange exchange, Rejection rejection) {
        exchange.listener.onAbort();
        if (exchange.responseStarted) {
            exchange.abort(rejection.reason());
        } else {
            reject(rejection, exchange.request);
        }
    }

    private void reject(Rejection rejection, HttpRequest request) {
        log.info("{} \"{} {}\" {}: {}", client(), request.method(), shortUri(request.uri()),
                rejection.status().code(), rejection.reason());
        closing = true;
        FullHttpResponse response = ErrorResponses.of(alloc, rejection.status(), true);
        ActiveExchange exchange = current;
        current = null;
        if (exchange != null) {
            exchange.bytesSent += response.content().readableBytes();
            exchangeEnded(exchange, rejection.status().code());
        } else {
            String hostHeader = request.headers().get(HttpHeaderNames.HOST);
            String host = hostHeader == null ? "" : Authority.hostOf(hostHeader);
            servingHosts().defaultServer().unmatched().record(request,
                    link.protocol(request), client(),
                    host == null ? "" : host,
                    rejection.status().code(), 0,
                    response.content().readableBytes(), 0, null);
        }
        link.writeAndClose(response);
    }

    /**
     * The completion point of every exchange, reached exactly once: when the response's LastHttpContent is
     * handed to the socket, or when the exchange ends early (abort, client gone, rejected body). Metrics
     * and the access log are fed from here.
     */
    private void exchangeEnded(ActiveExchange exchange, int status) {
        if (exchange.ended) {
            return;
        }
        exchange.ended = true;
        exchange.recorder.record(exchange.request, link.protocol(exchange.request),
                exchange.clientAddress(), exchange.host, status, exchange.bodyBytes,
                exchange.bytesSent, System.nanoTime() - exchange.startNanos, exchange.notes);
    }

    /** The status an unfinished exchange is recorded with: what was sent, or 499 (client closed) as nginx logs it. */
    private static int unfinishedStatus(ActiveExchange exchange) {
        return exchange.status > 0 ? exchange.status : 499;
    }

    /** Called when the response has left; continues outside any handler call stack. */
    private void responseComplete() {
        if (dispatching) {
            advancePending = true;
        } else {
            link.executor().execute(advanceTask());
        }
    }

    /**
     * Called when the response left while it was handed over. A response written from another channel's read
     * (a proxied one) usually has: when no request head or body bytes were read ahead, reading on can at most
     * take the request's empty end and arm the socket; it cannot start the next exchange inside the current
     * call stack, so it goes on here without a task.
     */
    private void responseLeftAtOnce() {
        if (dispatching) {
            advancePending = true;
            return;
        }
        if (!link.holdsRequestBytes()) {
            advance();
        } else {
            link.executor().execute(advanceTask());
        }
    }

    private Runnable advanceTask() {
        if (advanceTask == null) {
            advanceTask = this::advance;
        }
        return advanceTask;
    }

    private void advance() {
        ActiveExchange exchange = current;
        if (exchange == null || closing || !exchange.responseComplete) {
            return;
        }
        if (exchange.bodyPending) {
            exchange.discarding = true;
            readBodyFor(exchange);
        } else {
            finish(exchange);
        }
    }

    private void finish(ActiveExchange exchange) {
        if (current != exchange) {
            return;
        }
        current = null;
        if (draining) {
            closing = true;
            link.close();
            return;
        }
        timeouts.awaitRequest();
        requestRead();
    }

    private void readBodyFor(ActiveExchange exchange) {
        if (exchange.discarding) {
            timeouts.awaitDiscardedBody(exchange.limits);
        } else {
            timeouts.awaitBody(exchange.limits);
        }
        requestRead();
    }

    /** The server asks the connection to finish its exchange and close. */
    public void drain() {
        draining = true;
        if (current == null && !closing) {
            closing = true;
            link.close();
        }
    }

    /** A clock of the link ran out while it waited in {@code phase}. */
    @Override
    public void expired(ConnectionTimeouts.Phase phase) {
        if (closing) {
            if (phase == ConnectionTimeouts.Phase.SEND) {
                // the last response waits to leave before the close: a client that stops reading it would
                // hold the connection (or stream) for good
                link.close();
            }
            return;
        }
        ActiveExchange exchange = current;
        switch (phase) {
            case KEEPALIVE -> {
                closing = true;
                link.close();
            }
            case HEADER -> {
                log.info("{}: header timeout", client());
                closing = true;
                link.writeAndClose(ErrorResponses.of(alloc, HttpResponseStatus.REQUEST_TIMEOUT, true));
            }
            case BODY -> {
                if (exchange != null) {
                    failBody(exchange, new Rejection(HttpResponseStatus.REQUEST_TIMEOUT, "body timeout"));
                }
            }
            case RECEIVE_RATE -> {
                if (exchange != null) {
                    failBody(exchange, new Rejection(HttpResponseStatus.REQUEST_TIMEOUT, "body slower than min-receive-rate "
                            + exchange.limits.minReceiveRate() + " B/s after " + exchange.bodyBytes + " bytes"));
                }
            }
            case LINGER -> {
                log.info("{}: lingering-time over while the rest of a request body still came, closing", client());
                closing = true;
                link.close();
            }
            case SEND -> {
                if (exchange != null) {
                    exchange.listener.onAbort();
                    exchange.abort("send timeout");
                } else {
                    closing = true;
                    link.close();
                }
            }
        }
    }

    /** The link turned writable or unwritable. */
    @Override
    public void writabilityChanged(boolean writable) {
        if (current != null && current.listener != null) {
            current.listener.onWritabilityChanged(writable);
        }
    }

    /** The link has ended (connection closed, stream closed or reset): an unfinished exchange is aborted. */
    @Override
    public void closed() {
        ActiveExchange exchange = current;
        current = null;
        closing = true;
        if (exchange != null && !exchange.responseComplete) {
            exchangeEnded(exchange, unfinishedStatus(exchange));
            if (exchange.listener != null) {
                exchange.listener.onAbort();
            }
        }
    }

    /** The link failed: it is closed, which ends any exchange on it. */
    public void failed(Throwable cause) {
        log.debug("{}: connection error", client(), cause);
        link.close();
    }

    private InetSocketAddress client() {
        return link.client();
    }

    private static String shortUri(String uri) {
        return uri.length() > 200 ? uri.substring(0, 200) + "..." : uri;
    }

    private final class ActiveExchange implements Exchange {
        private final HttpRequest request;
        private final String host;
        private final String path;
        private final LocationConfig location;
        private final BodyLimits limits;
        private final ExchangeRecorder recorder;
        private final long startNanos = System.nanoTime();
        private final ExchangeNotes notes = new ExchangeNotes();
        private final boolean requestKeepAlive;
        private final String strictTransportSecurity;
        private final String altSvc;
        private ExchangeListener listener;
        private boolean bodyPending;
        private boolean discarding;
        private boolean continueSent;
        private boolean responseStarted;
        private boolean responseComplete;
        private boolean closeAfter;
        private long bodyBytes;
        private int status;
        private long bytesSent;
        private boolean ended;

        ActiveExchange(HttpRequest request, String host, String path, LocationConfig location, BodyLimits limits,
                       ExchangeRecorder recorder, String strictTransportSecurity, String altSvc) {
            this.recorder = recorder;
            this.altSvc = altSvc;
            this.request = request;
            this.strictTransportSecurity = strictTransportSecurity;
            this.host = host;
            this.path = path;
            this.location = location;
            this.limits = limits;
            this.requestKeepAlive = HttpUtil.isKeepAlive(request);
            this.bodyPending = !(request instanceof LastHttpContent);
        }

        @Override
        public Channel channel() {
            return link.channel();
        }

        @Override
        public boolean multiplexed() {
            return multiplexed;
        }

        @Override
        public ByteBufAllocator alloc() {
            return alloc;
        }

        @Override
        public HttpRequest request() {
            return request;
        }

        @Override
        public String host() {
            return host;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public LocationConfig location() {
            return location;
        }

        @Override
        public InetSocketAddress clientAddress() {
            InetSocketAddress known = requestClient;
            if (known == null) {
                known = client();
                requestClient = known;
            }
            return known;
        }

        @Override
        public boolean secure() {
            return secure;
        }

        @Override
        public ExchangeNotes notes() {
            return notes;
        }

        @Override
        public long startNanos() {
            return startNanos;
        }

        @Override
        public void readBody() {
            if (!bodyPending || current != this || discarding) {
                return;
            }
            if (!continueSent && HttpUtil.is100ContinueExpected(request)) {
                continueSent = true;
                link.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            readBodyFor(this);
        }

        @Override
        public boolean bodyPending() {
            return bodyPending;
        }

        @Override
        public ChannelFuture write(Object message) {
            return send(message, false);
        }

        @Override
        public ChannelFuture writeAndFlush(Object message) {
            return send(message, true);
        }

        @Override
        public void flush() {
            link.flush();
        }

        @Override
        public boolean writable() {
            return link.writable();
        }

        @Override
        public void abort(String reason) {
            if (!responseComplete) {
                exchangeEnded(this, unfinishedStatus(this));
            }
            if (current == this) {
                log.info("{} \"{} {}\": aborted: {}", client(), request.method(),
                        shortUri(request.uri()), reason);
                current = null;
            }
            closing = true;
            link.close();
        }

        @Override
        public void upgradeToTunnel(HttpResponse switchingProtocols) {
            if (multiplexed) {
                abort("protocol upgrade is not possible on an HTTP/2 or HTTP/3 stream");
                return;
            }
            if (current != this || responseComplete || closing) {
                link.close();
                return;
            }
            responseStarted = true;
            responseComplete = true;
            current = null;
            closing = true;
            ResponseHeaders.addStandard(switchingProtocols.headers());
            link.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, switchingProtocols.status(),
                    Unpooled.EMPTY_BUFFER, switchingProtocols.headers(),
                    EmptyHttpHeaders.INSTANCE));
            link.leaveHttp();
        }

        private ChannelFuture send(Object message, boolean flush) {
            if (responseComplete || closing) {
                ReferenceCountUtil.release(message);
                return link.newFailedFuture(new IllegalStateException("response already complete"));
            }
            if (message instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                prepareHead(response);
            }
            countBody(message);
            if (!(message instanceof LastHttpContent)) {
                return flush ? link.writeAndFlush(message) : link.write(message);
            }
            responseComplete = true;
            ChannelFuture future = link.writeAndFlush(message);
            exchangeEnded(this, status);
            if (closeAfter) {
                closing = true;
                current = null;
                future.addListener(written -> link.close());
            } else if (endsWithResponse && !bodyPending) {
                // the stream's one request has been read whole, and the stream closes once this response has
                // left: nothing waits for that here (no listener, no task, no read asked of the stream)
                current = null;
            } else {
                // the next request is read only once this response has left: a slow reader holds one
                // response, and a drain or keep-alive timer never cuts a response that is still going out.
                // A small response has usually left by now: then no listener is needed.
                if (future.isSuccess()) {
                    responseLeftAtOnce();
                } else if (future.isDone()) {
                    responseComplete();
                } else {
                    future.addListener(written -> responseComplete());
                }
            }
            return future;
        }

        private void countBody(Object message) {
            if (message instanceof HeadroomResponse response) {
                bytesSent += response.bodyBytes();
            } else if (message instanceof ByteBufHolder holder) {
                bytesSent += holder.content().readableBytes();
            } else if (message instanceof ByteBuf buffer) {
                bytesSent += buffer.readableBytes();
            } else if (message instanceof FileRegion region) {
                bytesSent += region.count() - region.transferred();
            }
        }

        private void prepareHead(HttpResponse response) {
            responseStarted = true;
            status = response.status().code();
            ResponseHeaders.addStandard(response.headers());
            if (strictTransportSecurity != null) {
                response.headers().set(STRICT_TRANSPORT_SECURITY, strictTransportSecurity);
            }
            if (altSvc != null) {
                response.headers().set(ALT_SVC, altSvc);
            }
            if (multiplexed) {
                return;
            }
            boolean selfDelimited = HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response)
                    || HttpMethod.HEAD.equals(request.method()) || response.status().code() == 204
                    || response.status().code() == 304;
            boolean unreadBodyAhead = bodyPending && !continueSent && HttpUtil.is100ContinueExpected(request);
            boolean keepAlive = requestKeepAlive && !draining && selfDelimited && !unreadBodyAhead
                    && !response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
            if (!keepAlive) {
                closeAfter = true;
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
        }
    }
}
