package io.sluice.http;

import com.aayushatharva.brotli4j.encoder.Encoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.JdkZlibEncoder;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdEncoder;
import io.sluice.config.CompressionConfig;

import java.util.List;

/**
 * The compressor of one response body: Netty's encoder for the coding in an {@link EmbeddedChannel} of
 * its own, as Netty's {@code HttpContentCompressor} does. Every piece written comes out compressed and
 * flushed at once (gzip sync-flush, a brotli flush, a zstd frame), so a streamed response keeps streaming
 * and nothing waits in the encoder between pieces; what it holds is the coding's window, not the body.
 */
final class BodyEncoder {
    /** Brotli's window: 256 KiB keeps the encoder's memory per response small at a small cost in ratio. */
    static final int BROTLI_WINDOW_BITS = 18;
    private static final int ZSTD_BLOCK_SIZE = 64 * 1024;
    private static final int ZSTD_MAX_ENCODE_SIZE = 1 << 20;

    private final EmbeddedChannel channel;

    BodyEncoder(ContentCoding coding, CompressionConfig config, Channel parent) {
        this.channel = EmbeddedChannel.builder()
                .channelId(parent.id())
                .hasDisconnect(parent.metadata().hasDisconnect())
                .config(parent.config())
                .handlers(encoder(coding, config))
                .build();
    }

    private static ChannelHandler encoder(ContentCoding coding, CompressionConfig config) {
        return switch (coding) {
            case GZIP -> new JdkZlibEncoder(ZlibWrapper.GZIP, config.gzipLevel());
            case BROTLI -> new BrotliEncoder(new Encoder.Parameters().setQuality(config.brotliLevel())
                    .setWindow(BROTLI_WINDOW_BITS).setMode(Encoder.Mode.TEXT), false);
            case ZSTD -> new ZstdEncoder(config.zstdLevel(), ZSTD_BLOCK_SIZE, ZSTD_MAX_ENCODE_SIZE);
        };
    }

    /** Compresses {@code in} (taking ownership of it) and adds what came out to {@code out}. */
    void encode(ByteBuf in, List<ByteBuf> out) {
        if (!in.isReadable()) {
            in.release();
            return;
        }
        channel.writeOutbound(in);
        drain(out);
    }

    /** Ends the compressed stream (the coding's trailer) and adds what came out to {@code out}. */
    void finish(List<ByteBuf> out) {
        channel.finish();
        drain(out);
    }

    /** Drops the encoder and whatever it still holds, for a response that ends early. */
    void discard() {
        channel.finishAndReleaseAll();
    }

    private void drain(List<ByteBuf> out) {
        for (ByteBuf buffer = channel.readOutbound(); buffer != null; buffer = channel.readOutbound()) {
            if (buffer.isReadable()) {
                out.add(buffer);
            } else {
                buffer.release();
            }
        }
    }
}
