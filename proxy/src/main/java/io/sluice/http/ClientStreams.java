package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What kind of client channel an exchange runs on: a whole HTTP/1.1 connection, or one stream of an HTTP/3
 * connection (an HTTP/2 stream is no channel: see {@link Http2Streams}). A stream carries one request; the
 * connection (its parent) owns keep-alive, the client address and the lifetime, and the request reaches
 * handlers translated to HTTP/1.1 objects.
 */
public final class ClientStreams {
    private ClientStreams() {
    }

    /** True for one stream of a multiplexed (HTTP/3) client connection. */
    public static boolean isStream(Channel channel) {
        return channel instanceof QuicStreamChannel;
    }

    /**
     * The socket peer of a client connection (a QUIC connection's own address is its connection id), or
     * {@code null} for a channel without an IP peer.
     */
    public static InetSocketAddress peer(Channel connection) {
        SocketAddress address = connection instanceof QuicChannel quic ? quic.remoteSocketAddress()
                : connection.remoteAddress();
        return address instanceof InetSocketAddress inet ? inet : null;
    }

    /**
     * The protocol the client spoke, as access logs name it: the translation to HTTP/1.1 objects keeps
     * HTTP/1.1 as the request's version on streams.
     */
    public static String protocol(Channel channel, HttpRequest request) {
        return channel instanceof QuicStreamChannel ? "HTTP/3.0" : request.protocolVersion().text();
    }
}
