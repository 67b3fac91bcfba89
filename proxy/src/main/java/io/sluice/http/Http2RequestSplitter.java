package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.List;

/**
 * An HTTP/2 request whose HEADERS frame ends the stream arrives from the frame-to-HTTP/1 codec as one
 * {@link FullHttpRequest}. This splits it into a head and a {@link LastHttpContent}, the shape an
 * HTTP/1.1 request has, so the dispatcher and the handlers see one model and the (empty) body buffer
 * has its usual owner.
 */
public final class Http2RequestSplitter extends MessageToMessageDecoder<FullHttpRequest> {

    public Http2RequestSplitter() {
        super(FullHttpRequest.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, FullHttpRequest request, List<Object> out) {
        out.add(new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), request.headers()));
        ByteBuf content = request.content();
        if (content.isReadable() || !request.trailingHeaders().isEmpty()) {
            out.add(new DefaultLastHttpContent(content.retain(), request.trailingHeaders()));
        } else {
            out.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }
}
