package io.sluice.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;

import java.net.InetSocketAddress;

/**
 * What a request dispatcher needs of the place its requests come from and its responses go to: a whole
 * HTTP/1.1 connection, or one stream of an HTTP/2 or HTTP/3 connection. Inbound messages come only when
 * asked for ({@link #read}); the link reports them, its read completions, writability changes, timeouts and
 * its end to the dispatcher. Everything is called on the connection's event loop.
 */
public interface ClientLink {

    /** The channel handlers see as the exchange's: the connection, or the stream's own where it has one. */
    Channel channel();

    ByteBufAllocator alloc();

    EventExecutor executor();

    /** Asks for the next inbound message: a request head or the next piece of a request body. */
    void read();

    ChannelFuture write(Object message);

    ChannelFuture writeAndFlush(Object message);

    void flush();

    /** Writes and flushes {@code message}, then closes the link once it has left. */
    void writeAndClose(Object message);

    /** True while the client can take more bytes without queueing past the link's high-water mark. */
    boolean writable();

    /** Ends the link: closes an HTTP/1.1 connection; resets a stream whose response has not ended. */
    void close();

    ChannelFuture newFailedFuture(Throwable cause);

    /** True for one stream of a multiplexed (HTTP/2 or HTTP/3) connection, which carries one request. */
    boolean multiplexed();

    /**
     * True when the link carries exactly one request and ends by itself once its response has been written
     * (an HTTP/2 stream): after the response's end nothing more is read from it.
     */
    boolean endsWithResponse();

    /** True when bytes of a next request have been read ahead already (HTTP/1.1 pipelining). */
    boolean holdsRequestBytes();

    /** The client: the socket peer, or the address a PROXY protocol header named. */
    InetSocketAddress client();

    /** The protocol the client spoke, as access logs name it ("HTTP/2.0" on an HTTP/2 stream). */
    String protocol(HttpRequest request);

    /**
     * Takes the link out of HTTP after a {@code 101} (see {@link Exchange#upgradeToTunnel}); only an HTTP/1.1
     * connection can, and the dispatcher never asks a multiplexed link.
     */
    void leaveHttp();

    /** What a link tells the one who serves its requests (the dispatcher). */
    interface Receiver {
        /** The link is open: the first request may be read. */
        void start();

        /** A message read from the link, owned by the receiver from here on. */
        void received(Object msg);

        /** A clock of the link ran out while it waited in {@code phase}. */
        void expired(ConnectionTimeouts.Phase phase);

        void writabilityChanged(boolean writable);

        /** The link has ended: an unfinished exchange is aborted. */
        void closed();
    }
}
