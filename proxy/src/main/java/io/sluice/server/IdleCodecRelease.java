package io.sluice.server;

import io.netty.channel.ChannelPipeline;
import io.sluice.config.LimitsConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;

/**
 * An idle HTTP/1.1 connection parks without its codec: the decoder's parser scratch buffer and state, the
 * encoder and their pipeline context are most of what a kept-alive connection holds beyond its socket. The
 * codec holds nothing between requests (no request half-read, no response half-written when the
 * connection idles), so a fresh one built from the same limits carries on where the old one stopped.
 * Shared by every connection that opened under one limits snapshot.
 */
final class IdleCodecRelease implements ConnectionTimeouts.IdleRelease {
    private final LimitsConfig limits;

    IdleCodecRelease(LimitsConfig limits) {
        this.limits = limits;
    }

    LimitsConfig limits() {
        return limits;
    }

    @Override
    public void release(ChannelPipeline pipeline) {
        pipeline.remove(HttpChannelInitializer.CODEC);
    }

    @Override
    public void restore(ChannelPipeline pipeline) {
        pipeline.addBefore(HttpChannelInitializer.FLOW, HttpChannelInitializer.CODEC, HttpCodecs.serverCodec(limits));
    }
}
