package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.sluice.config.UpstreamConfig;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP/2 connections of one event loop to one upstream server ({@code protocol = h2} or {@code h2c}),
 * and the requests waiting for a stream on them. A request gets a stream on the first connection that
 * takes new ones (see {@link Http2Session}); when none does, one new connection is opened and requests
 * wait for its SETTINGS. So a loop normally holds one connection per server, and a second one only when
 * the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS} is reached or a connection is going away. If the
 * new connection fails, every request waiting for it fails (and may be retried like any connect
 * failure). Confined to the loop like the rest of the pool.
 *
 * <p>Each stream channel's pipeline turns frames into the HTTP/1-style messages that {@link ProxyExchange}
 * relays and back, ending in an {@link UpstreamConnection}, so one exchange serves both protocols.
 */
final class Http2Sessions {
    /** Each stream may have this much response body in flight before it is read. */
    private static final int STREAM_WINDOW = 256 * 1024;
    /**
     * The connection's window: bytes a stream holds unread (its client is slow) count against it too, so it
     * is large enough that many stalled streams do not stop the others on the connection.
     */
    private static final int CONNECTION_WINDOW = 64 * STREAM_WINDOW;
    private static final int MAX_HEADER_LIST_SIZE = 64 * 1024;
    private static final ChannelHandler REFUSED_PUSH = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel stream) {
            stream.close();
        }
    };

    private final ConnectionPool pool;
    private final UpstreamConfig config;
    private final ChannelHandler streamInitializer;
    private final List<Http2Session> open = new ArrayList<>(2);
    private final ArrayDeque<ConnectCallback> waiting = new ArrayDeque<>();
    private boolean connecting;
    private boolean dispatching;

    Http2Sessions(ConnectionPool pool, UpstreamConfig config) {
        this.pool = pool;
        this.config = config;
        this.streamInitializer = new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.pipeline().addLast(new Http2ResponseStreamCodec(), new UpstreamConnection(pool));
            }
        };
    }

    UpstreamConfig config() {
        return config;
    }

    ChannelHandler streamInitializer() {
        return streamInitializer;
    }

    void acquire(ConnectCallback callback) {
        waiting.addLast(callback);
        dispatch();
    }

    /** Gives waiting requests streams while some connection takes them; else opens one connection more. */
    void dispatch() {
        if (dispatching) {
            return;
        }
        dispatching = true;
        try {
            while (!waiting.isEmpty()) {
                Http2Session session = withCapacity();
                if (session != null) {
                    pool.counters().requests++;
                    session.open(waiting.pollFirst());
                    continue;
                }
                if (!connecting) {
                    connect();
                }
                if (connecting) {
                    return;
                }
            }
        } finally {
            dispatching = false;
            countIdle();
        }
    }

    private Http2Session withCapacity() {
        for (int i = 0; i < open.size(); i++) {
            Http2Session session = open.get(i);
            if (session.takesStreams()) {
                return session;
            }
        }
        return null;
    }

    private void connect() {
        connecting = true;
        pool.open().addListener(opened -> {
            if (!opened.isSuccess()) {
                connectFailed(opened.cause());
                return;
            }
            Channel channel = (Channel) opened.getNow();
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl != null && !ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
                channel.close();
                connectFailed(new IOException("the server did not agree to h2 by ALPN (got "
                        + ssl.applicationProtocol() + ")"));
                return;
            }
            Http2FrameCodec codec = frameCodec();
            channel.pipeline().addLast(codec, new ReceivedStreamErrors(), new Http2MultiplexHandler(REFUSED_PUSH),
                    new Http2Session(this));
            Http2Connection connection = codec.connection();
            int window = connection.local().flowController().windowSize(connection.connectionStream());
            if (window < CONNECTION_WINDOW) {
                // a WINDOW_UPDATE without a stream widens the connection's window
                channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - window), channel.voidPromise());
            }
            // the connection reads all the time: flow-control windows bound what the server can send, and
            // each stream channel reads only on demand
            channel.config().setAutoRead(true);
        });
    }

    private static Http2FrameCodec frameCodec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings()
                        .pushEnabled(false)
                        .maxHeaderListSize(MAX_HEADER_LIST_SIZE)
                        .initialWindowSize(STREAM_WINDOW))
                .validateHeaders(true)
                .build();
    }

    /** The new connection has the server's SETTINGS: it takes the waiting requests. */
    void ready(Http2Session session) {
        connecting = false;
        open.add(session);
        dispatch();
    }

    /** A connection closed; before it was ready, the requests waiting for it fail with {@code cause}. */
    void closed(Http2Session session, Throwable cause) {
        if (open.remove(session)) {
            dispatch();
        } else if (connecting) {
            connectFailed(cause);
        }
        countIdle();
    }

    private void connectFailed(Throwable cause) {
        connecting = false;
        List<ConnectCallback> failed = new ArrayList<>(waiting);
        waiting.clear();
        for (ConnectCallback callback : failed) {
            callback.onConnectFailed(cause);
        }
        // requests that came in meanwhile (retries among them) try a new connection
        dispatch();
    }

    void countIdle() {
        int idle = 0;
        for (int i = 0; i < open.size(); i++) {
            if (open.get(i).idle()) {
                idle++;
            }
        }
        pool.counters().idle = idle;
    }
}
