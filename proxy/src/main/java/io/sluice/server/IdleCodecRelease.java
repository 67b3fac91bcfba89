package io.sluice.server;

import io.netty.channel.ChannelPipeline;
import io.sluice.config.LimitsConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.http.ReadAheadFlowControl;

/**
 * An idle HTTP/1.1 connection parks without its codec and its flow control: the decoder's parser scratch
 * buffer and state, the encoder, the flow control's counters and their two pipeline contexts are most of
 * what a kept-alive connection holds beyond its socket. Neither holds anything between requests (no request
 * half-read, no response half-written, no message read ahead when the connection idles), so fresh ones built
 * from the same limits carry on where the old ones stopped. The dispatcher's wish to read outlives them: the
 * new flow control starts with it, so the next request passes straight on to the dispatcher. Shared by every
 * connection that opened under one limits snapshot.
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
        pipeline.remove(HttpChannelInitializer.FLOW);
    }

    @Override
    public void restore(ChannelPipeline pipeline) {
        pipeline.addBefore(HttpChannelInitializer.DISPATCHER, HttpChannelInitializer.CODEC, HttpCodecs.serverCodec(limits));
        pipeline.addBefore(HttpChannelInitializer.DISPATCHER, HttpChannelInitializer.FLOW, ReadAheadFlowControl.forWaitingReader());
    }
}
