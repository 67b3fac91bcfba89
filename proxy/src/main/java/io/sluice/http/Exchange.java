package io.sluice.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.config.LocationConfig;

import java.net.InetSocketAddress;

/**
 * One request and its response on a client connection, as the location's handler sees it. All methods
 * are called on the connection's event loop. The response is written through {@link #write}: the
 * exchange ends with the write of a {@link io.netty.handler.codec.http.LastHttpContent}, after which the
 * connection reads its next request (or closes, when either side asked for it).
 */
public interface Exchange {

    Channel channel();

    /**
     * True for one stream of a multiplexed (HTTP/2 or HTTP/3) connection: the request reaches the handler
     * translated to HTTP/1.1 objects, and the response leaves as frames, never as a file region.
     */
    default boolean multiplexed() {
        return ClientStreams.isStream(channel());
    }

    /**
     * The allocator for the response's buffers: the channel's. The dispatcher's exchange hands out the one it
     * took when the connection or stream opened, so code that serves every protocol allocates without asking
     * a channel whose class differs between HTTP/1.1 connections and HTTP/2 streams.
     */
    default ByteBufAllocator alloc() {
        return channel().alloc();
    }

    HttpRequest request();

    /** The host the client asked for, lower case, without port; empty for HTTP/1.0 without Host. */
    String host();

    /** The normalised, decoded path used for routing (see {@link RequestPath}). */
    String path();

    /** The location that matched. */
    LocationConfig location();

    /** The client's address: the socket peer, or the address a PROXY protocol header named. */
    InetSocketAddress clientAddress();

    /** True when the client connection is TLS. */
    boolean secure();

    /** Facts the handler records for the access log and metrics. */
    ExchangeNotes notes();

    /** When the request head was received, from {@link System#nanoTime()}. */
    long startNanos();

    /**
     * Asks for the next piece of the request body, delivered to {@link ExchangeListener#onContent}. Body
     * bytes flow only on demand, which is what keeps memory per request bounded. On the first call an
     * {@code Expect: 100-continue} request gets its {@code 100 Continue}.
     */
    void readBody();

    /** True until the last piece of the request body has been delivered or discarded. */
    boolean bodyPending();

    ChannelFuture write(Object message);

    ChannelFuture writeAndFlush(Object message);

    void flush();

    /**
     * True once the response head written through this exchange has been given a body coding that this
     * exchange applies itself: the body must then come as {@code HttpContent} buffers, never as a
     * {@link io.netty.channel.FileRegion}, which cannot be transformed.
     */
    default boolean rewritesBody() {
        return false;
    }

    /**
     * True when this exchange may still give the response a body coding of its own ({@link #rewritesBody()}
     * can become true when the head is written). A handler must then write a head before it decides how to
     * send the body, instead of sending head and file region as one message.
     */
    default boolean mayRewriteBody() {
        return false;
    }

    /** True while the client connection can take more bytes without queueing past its high-water mark. */
    boolean writable();

    /** Ends the exchange abnormally and closes the connection; used once part of a response is out. */
    void abort(String reason);

    /**
     * Ends the exchange with {@code switchingProtocols} (a {@code 101} head, written and flushed) and takes
     * the connection out of HTTP: the HTTP codec, flow control, HTTP timeouts and the dispatcher leave the
     * pipeline, so from then on it carries raw bytes (auto-read still off) for whatever handler the caller
     * adds last; that handler owns the connection, its reads and its close. Used for WebSocket tunnels.
     * The client must not send bytes of the new protocol before it has seen the 101 (RFC 6455 §4.1).
     * Connections that cannot switch protocols (HTTP/2 streams) keep this default, which aborts.
     */
    default void upgradeToTunnel(HttpResponse switchingProtocols) {
        abort("protocol upgrade is not possible on this connection");
    }
}
