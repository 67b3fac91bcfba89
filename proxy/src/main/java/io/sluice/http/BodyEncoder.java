package io.sluice.http;

import com.aayushatharva.brotli4j.encoder.Encoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.BrotliEncoder;
import io.netty.handler.codec.compression.JdkZlibEncoder;
import io.netty.handler.codec.compression.ZlibWrapper;
import io.netty.handler.codec.compression.ZstdEncoder;
import io.sluice.config.CompressionConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The compressor of one response body: Netty's encoder for the coding in an {@link EmbeddedChannel} of
 * its own, as Netty's {@code HttpContentCompressor} does. Each flush of the response flushes the coding
 * (gzip sync-flush, a brotli flush, a zstd frame), so a streamed response keeps streaming and what
 * arrived is decodable at once; between flushes at most {@link #BATCH} bytes of input wait. What it holds
 * is that and the coding's window, not the body.
 */
final class BodyEncoder {
    /** Brotli's window: 256 KiB keeps the encoder's memory per response small at a small cost in ratio. */
    static final int BROTLI_WINDOW_BITS = 18;
    private static final int ZSTD_BLOCK_SIZE = 64 * 1024;
    private static final int ZSTD_MAX_ENCODE_SIZE = 1 << 20;

    /** Input held back for one flush at most: bounds the memory the batching adds. */
    static final int BATCH = 64 * 1024;

    private final EmbeddedChannel channel;
    private final List<ByteBuf> pending = new ArrayList<>(4);
    private int pendingBytes;

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

    /**
     * Takes {@code in} to be compressed with the pieces added since the last {@link #flush}: each flush of
     * the coding costs a few bytes and, for zstd, a fresh frame, so pieces that arrive together are
     * compressed together. Returns true once {@link #BATCH} bytes wait, when the caller should flush.
     */
    boolean add(ByteBuf in) {
        if (in.isReadable()) {
            pending.add(in);
            pendingBytes += in.readableBytes();
        } else {
            in.release();
        }
        return pendingBytes >= BATCH;
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Compresses what waits and adds the output, decodable up to here, to {@code out}. */
    void flush(List<ByteBuf> out) {
        if (pending.isEmpty()) {
            return;
        }
        ByteBuf input = pending.size() == 1 ? pending.get(0) : Unpooled.wrappedBuffer(pending.toArray(ByteBuf[]::new));
        pending.clear();
        pendingBytes = 0;
        channel.writeOutbound(input);
        drain(out);
    }

    /** Compresses what waits, ends the compressed stream (the coding's trailer) and adds the output to {@code out}. */
    void finish(List<ByteBuf> out) {
        flush(out);
        channel.finish();
        drain(out);
    }

    /** Drops the encoder and whatever it still holds, for a response that ends early. */
    void discard() {
        pending.forEach(ByteBuf::release);
        pending.clear();
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
