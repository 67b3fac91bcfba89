package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;

import java.util.List;

/**
 * An HTTP/2 request whose HEADERS frame ends the stream (a request without body) arrives from the
 * frame-to-HTTP/1 codec as a {@link FullHttpRequest} holding an allocated, empty buffer. This re-issues
 * it over the shared empty buffer, so the dispatcher, which keeps a request head without releasing it,
 * owns nothing, and the request is complete on arrival: no body to wait for or discard.
 */
public final class Http2BodilessRequests extends MessageToMessageDecoder<FullHttpRequest> {

    public Http2BodilessRequests() {
        super(FullHttpRequest.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, FullHttpRequest request, List<Object> out) {
        out.add(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, request.headers(), request.trailingHeaders()));
    }
}
