package io.sluice.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.cache.CacheStats;
import io.sluice.cache.ResponseCache;
import io.sluice.config.ConfigDiff;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.routing.RouteExplainer;
import io.sluice.server.Readiness;
import io.sluice.server.ReloadResult;
import io.sluice.server.SluiceServer;
import io.sluice.util.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Routes admin requests; every answer is complete and small. A connection's requests are taken one at a
 * time (the channel does not read on its own): pipelined answers keep their requests' order, and one
 * connection has at most one request waiting for the admin work thread.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    private static final String JSON = "application/json";
    private static final byte[] STATUS_PAGE = statusPage();

    private final SluiceServer server;
    private final StatusHistory history;
    private final ExecutorService slowWork;
    private final StatusReport report;

    AdminHandler(SluiceServer server, StatusHistory history, ExecutorService slowWork) {
        this.server = server;
        this.history = history;
        this.slowWork = slowWork;
        this.report = new StatusReport(server, history);
    }

    private static byte[] statusPage() {
        try (InputStream in = AdminHandler.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            send(ctx, request, text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        HttpMethod method = request.method();
        switch (query.path()) {
            case "/healthz" -> ifGet(ctx, request, () -> text(HttpResponseStatus.OK, "ok\n"));
            case "/readyz" -> ifGet(ctx, request, this::readiness);
            case "/metrics" -> ifGet(ctx, request, this::metrics);
            case "/status" -> ifGet(ctx, request, () -> bytes(HttpResponseStatus.OK, "text/html; charset=utf-8", STATUS_PAGE));
            case "/status.json" -> ifGet(ctx, request, () -> json(HttpResponseStatus.OK, report.build()));
            case "/explain" -> ifGet(ctx, request, () -> explain(query));
            case "/diff" -> {
                if (!HttpMethod.GET.equals(method)) {
                    send(ctx, request, notAllowed("GET"));
                } else {
                    offload(ctx, request, this::diff);
                }
            }
            case "/reload" -> {
                if (!HttpMethod.POST.equals(method)) {
                    send(ctx, request, notAllowed("POST"));
                } else {
                    offload(ctx, request, this::reload);
                }
            }
            case "/cache" -> ifGet(ctx, request, this::cacheStatus);
            case "/cache/purge" -> {
                if (!HttpMethod.POST.equals(method)) {
                    send(ctx, request, notAllowed("POST"));
                } else {
                    send(ctx, request, purge(query));
                }
            }
            case "/upstreams/drain", "/upstreams/undrain" -> {
                if (!HttpMethod.POST.equals(method)) {
                    send(ctx, request, notAllowed("POST"));
                } else {
                    send(ctx, request, drain(query, query.path().endsWith("/drain")));
                }
            }
            case "/reopen-logs" -> {
                if (!HttpMethod.POST.equals(method)) {
                    send(ctx, request, notAllowed("POST"));
                } else {
                    server.accessLogWriter().reopen();
                    log.info("admin: access logs reopened");
                    send(ctx, request, json(HttpResponseStatus.OK, Map.of("reopened", true)));
                }
            }
            default -> send(ctx, request, text(HttpResponseStatus.NOT_FOUND,
                    "not found; try /status, /healthz, /readyz, /metrics, /explain?host=&path=, /cache, POST /reload,"
                            + " POST /upstreams/drain?upstream=&server=\n"));
        }
    }

    private interface Answer {
        FullHttpResponse build();
    }

    private void ifGet(ChannelHandlerContext ctx, FullHttpRequest request, Answer answer) {
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            send(ctx, request, notAllowed("GET, HEAD"));
            return;
        }
        FullHttpResponse response = answer.build();
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        send(ctx, request, response);
    }

    private FullHttpResponse readiness() {
        Readiness readiness = server.readiness();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", readiness.ready());
        body.put("reason", readiness.reason());
        return json(readiness.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private FullHttpResponse metrics() {
        ByteBuf buffer = Unpooled.buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buffer)) {
            server.metrics().write(out);
        } catch (IOException e) {
            buffer.release();
            throw new UncheckedIOException(e);
        }
        return response(HttpResponseStatus.OK, server.metrics().contentType(), buffer);
    }

    private FullHttpResponse explain(QueryStringDecoder query) {
        String path = first(query, "path");
        if (path == null || path.isEmpty()) {
            return json(HttpResponseStatus.BAD_REQUEST, Map.of("error", "path is required, e.g. /explain?host=example.com&path=/api/x"));
        }
        String method = first(query, "method");
        return json(HttpResponseStatus.OK, RouteExplainer.explain(server.router(), first(query, "listen"),
                method == null ? "GET" : method, first(query, "host"), path, server::previewPick));
    }

    private FullHttpResponse cacheStatus() {
        ResponseCache cache = server.responseCache();
        CacheStats stats = cache.stats();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entries", cache.entryCount());
        body.put("bytes", cache.weightedSize());
        body.put("max-size", cache.config().maxSize());
        body.put("hit-ratio", stats.hitRatio());
        for (CacheStats.Result result : CacheStats.Result.values()) {
            body.put(result.name().toLowerCase(Locale.ROOT), stats.total(result));
        }
        body.put("evictions", cache.evictions());
        return json(HttpResponseStatus.OK, body);
    }

    /** {@code POST /cache/purge?key=K}, {@code ?prefix=P} or {@code ?all=true}: removes entries, says how many. */
    private FullHttpResponse purge(QueryStringDecoder query) {
        ResponseCache cache = server.responseCache();
        String key = first(query, "key");
        String prefix = first(query, "prefix");
        int purged;
        if (key != null && !key.isEmpty()) {
            purged = cache.purge(key);
        } else if (prefix != null && !prefix.isEmpty()) {
            purged = cache.purgePrefix(prefix);
        } else if ("true".equals(first(query, "all"))) {
            purged = cache.purgeAll();
        } else {
            return json(HttpResponseStatus.BAD_REQUEST, Map.of("error",
                    "say what to purge: ?key=http://example.com/page, ?prefix=http://example.com/img/ or ?all=true"));
        }
        log.info("admin: purged {} cache entries ({})", purged, key != null ? "key " + key
                : prefix != null ? "prefix " + prefix : "all");
        return json(HttpResponseStatus.OK, Map.of("purged", purged));
    }

    private FullHttpResponse drain(QueryStringDecoder query, boolean drained) {
        String upstream = first(query, "upstream");
        String name = first(query, "server");
        if (upstream == null || name == null) {
            return json(HttpResponseStatus.BAD_REQUEST, Map.of("error",
                    "say which server: ?upstream=app&server=10.0.0.5:8080 (names as in /status.json)"));
        }
        if (!server.drainServer(upstream, name, drained)) {
            return json(HttpResponseStatus.NOT_FOUND, Map.of("error", "no server " + name + " in upstream " + upstream
                    + " (an upstream is listed once it has served; names as in /status.json)"));
        }
        return json(HttpResponseStatus.OK, Map.of("upstream", upstream, "server", name, "state", drained ? "drain" : "in service"));
    }

    /** What reloading the configuration file now would change, without applying it. */
    private FullHttpResponse diff() {
        if (server.configFile() == null) {
            return json(HttpResponseStatus.CONFLICT, Map.of("error", "not started from a configuration file"));
        }
        try {
            List<String> changes = ConfigDiff.between(server.config(), ConfigLoader.load(server.configFile()));
            return json(HttpResponseStatus.OK, Map.of("file", server.configFile().toString(), "changes", changes));
        } catch (InvalidConfigException e) {
            return json(HttpResponseStatus.UNPROCESSABLE_ENTITY, Map.of("valid", false, "problems", e.problems()));
        }
    }

    private FullHttpResponse reload() {
        ReloadResult result = server.reload();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", result.success());
        body.put("hash", result.hash());
        body.put("problems", result.problems());
        body.put("notes", result.notes());
        return json(result.success() ? HttpResponseStatus.OK : HttpResponseStatus.UNPROCESSABLE_ENTITY, body);
    }

    /** Builds the answer on the admin work thread (it reads files or binds sockets) and writes it from the loop. */
    private void offload(ChannelHandlerContext ctx, FullHttpRequest request, Answer answer) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        try {
            slowWork.execute(() -> {
                FullHttpResponse response;
                try {
                    response = answer.build();
                } catch (RuntimeException e) {
                    log.error("admin {} failed", request.uri(), e);
                    response = json(HttpResponseStatus.INTERNAL_SERVER_ERROR, Map.of("error", String.valueOf(e)));
                }
                FullHttpResponse done = response;
                ctx.executor().execute(() -> write(ctx, keepAlive, done));
            });
        } catch (RejectedExecutionException e) {
            send(ctx, request, json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("error", "shutting down")));
        }
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static FullHttpResponse notAllowed(String allow) {
        FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
        response.headers().set(HttpHeaderNames.ALLOW, allow);
        return response;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return bytes(status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse json(HttpResponseStatus status, Object body) {
        return bytes(status, JSON, (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse bytes(HttpResponseStatus status, String contentType, byte[] body) {
        return response(status, contentType, Unpooled.wrappedBuffer(body));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, ByteBuf body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        write(ctx, HttpUtil.isKeepAlive(request), response);
    }

    private static void write(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (keepAlive) {
            ctx.writeAndFlush(response);
            // asked for from a task: asked for while the transport is still in the read that brought the
            // request (an answer written at once), the next request was never read
            ctx.executor().execute(ctx::read);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("admin connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
