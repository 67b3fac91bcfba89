package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The DATA frames an HTTP/2 server channel wrote, read with a plain frame reader and not answered, so the
 * client's windows stay as they were: how many frames, and how many flow-controlled bytes.
 */
final class ServerDataFrames extends Http2FrameAdapter {
    int frames;
    int bytes;

    /** Drains and releases what {@code server} wrote; {@code ctx} is any context the reader may report to. */
    static ServerDataFrames drain(EmbeddedChannel server, ChannelHandlerContext ctx) throws Http2Exception {
        ServerDataFrames counted = new ServerDataFrames();
        try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader()) {
            ByteBuf all = Unpooled.buffer();
            for (Object bytes = server.readOutbound(); bytes != null; bytes = server.readOutbound()) {
                all.writeBytes((ByteBuf) bytes);
                ReferenceCountUtil.release(bytes);
            }
            try {
                while (all.isReadable()) {
                    reader.readFrame(ctx, all, counted);
                }
            } finally {
                all.release();
            }
        }
        return counted;
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        frames++;
        int flowControlled = data.readableBytes() + padding;
        bytes += flowControlled;
        return flowControlled;
    }
}
