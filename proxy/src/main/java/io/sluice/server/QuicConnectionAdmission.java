package io.sluice.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;

/**
 * Admits an HTTP/3 (QUIC) connection into the same {@link OpenConnections} as TCP ones, so
 * {@code max-connections} and {@code max-connections-per-ip} count both. It waits for the connection to be
 * active, when its peer address is known, then leaves the pipeline; admitted connections also join their
 * listener's group, which its drain walks.
 */
@ChannelHandler.Sharable
final class QuicConnectionAdmission extends ChannelInboundHandlerAdapter {
    private final ConnectionAdmission admission;
    private final ChannelGroup listenerConnections;

    QuicConnectionAdmission(ConnectionAdmission admission, ChannelGroup listenerConnections) {
        this.admission = admission;
        this.listenerConnections = listenerConnections;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!admission.admit(ctx.channel())) {
            ctx.close();
            return;
        }
        listenerConnections.add(ctx.channel());
        ctx.fireChannelActive();
    }
}
