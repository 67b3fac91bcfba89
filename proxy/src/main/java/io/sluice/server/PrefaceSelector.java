package io.sluice.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.sluice.http.ConnectionTimeouts;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * On a plain listener with {@code http2 = true}: a connection that opens with the HTTP/2 connection
 * preface speaks h2c with prior knowledge (RFC 9113 §3.3); anything else is HTTP/1.1. Decided on the
 * first bytes that differ from the preface, then the stage removes itself and hands them on.
 */
final class PrefaceSelector extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    private final HttpChannelInitializer stages;

    PrefaceSelector(HttpChannelInitializer stages) {
        this.stages = stages;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
        boolean prefix = ByteBufUtil.equals(in, in.readerIndex(), PREFACE, 0, length);
        if (prefix && length < PREFACE.readableBytes()) {
            return;
        }
        if (prefix) {
            stages.addHttp2(ctx.channel());
        } else {
            stages.addHttp1(ctx.pipeline());
            ctx.fireChannelActive();
        }
        ctx.pipeline().remove(this);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ConnectionTimeouts.Expired) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }
}
