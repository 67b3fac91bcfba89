package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.CharsetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;

/**
 * Logs why an HTTP/2 connection was ended with an error: the frame codec's guards (rapid reset, queued
 * control frames, empty frames, header size, CONTINUATION floods) and protocol errors answer with GOAWAY
 * and close, and without this line an operator would see only a connection that went away. One line per
 * connection at most: a connection sends one GOAWAY with an error.
 */
public final class Http2GoAwayLog extends Http2ConnectionAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2GoAwayLog.class);

    private final Channel connection;

    public Http2GoAwayLog(Channel connection) {
        this.connection = connection;
    }

    @Override
    public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
        if (errorCode == Http2Error.NO_ERROR.code() || !log.isInfoEnabled()) {
            return;
        }
        Http2Error error = Http2Error.valueOf(errorCode);
        log.info("HTTP/2 connection from {} ended with GOAWAY {}: {}", client(),
                error != null ? error.name() : "0x" + Long.toHexString(errorCode), debugData.toString(CharsetUtil.UTF_8));
    }

    private String client() {
        InetSocketAddress proxied = ProxyProtocolHandler.proxiedClient(connection);
        InetSocketAddress peer = proxied != null ? proxied : ClientStreams.peer(connection);
        return peer == null ? "?" : peer.getAddress().getHostAddress() + ":" + peer.getPort();
    }
}
