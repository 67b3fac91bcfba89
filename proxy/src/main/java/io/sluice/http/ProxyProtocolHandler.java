package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Reads the PROXY protocol (v1 or v2) header a load balancer in front of a {@code proxy-protocol = true}
 * listener sends first, and records the client address it names on the channel, where
 * {@link Exchange#clientAddress()} finds it. A {@code LOCAL} header (the balancer's own health check)
 * leaves the socket peer as the client. Works behind the {@link HAProxyMessageDecoder}, which
 * removes itself after the header, as this handler does.
 */
public final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<InetSocketAddress> CLIENT_ADDRESS = AttributeKey.valueOf("sluice.proxiedClient");

    /** The client address a PROXY protocol header named on {@code connection}, or null. */
    public static InetSocketAddress proxiedClient(Channel connection) {
        // hasAttr first: attr() would give every connection an attribute slot it never fills
        return connection.hasAttr(CLIENT_ADDRESS) ? connection.attr(CLIENT_ADDRESS).get() : null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (header.command() == HAProxyCommand.PROXY && header.sourceAddress() != null) {
                byte[] address = NetUtil.createByteArrayFromIpAddressString(header.sourceAddress());
                if (address != null) {
                    ctx.channel().attr(CLIENT_ADDRESS).set(
                            new InetSocketAddress(InetAddress.getByAddress(address), header.sourcePort()));
                }
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        } finally {
            header.release();
        }
        ctx.pipeline().remove(this);
        if (!ctx.channel().config().isAutoRead()) {
            // the read that brought the header passes nothing on when the header came alone (a balancer may send
            // it as soon as it connects): the stage after it never hears of that read and asks for no more, so a
            // TLS listener would wait for a ClientHello it never reads. Asking here costs a read that is wanted.
            ctx.read();
        }
    }
}
