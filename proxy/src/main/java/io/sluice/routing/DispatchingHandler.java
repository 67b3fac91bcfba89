package io.sluice.routing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.http.AlternativeServices;
import io.sluice.http.ClientLink;
import io.sluice.http.ClientStreams;
import io.sluice.http.ConnectionEvent;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.Http1ServerCodec;
import io.sluice.http.ProxyProtocolHandler;
import io.sluice.http.ReadAheadFlowControl;

import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The last handler of a client channel's HTTP pipeline (an HTTP/1.1 connection, or an HTTP/3 stream): the
 * channel as the {@link RequestDispatcher}'s link, and the pipeline's events as the dispatcher's calls. The
 * channel runs with auto-read off, so a message comes only when the dispatcher asks for one.
 */
public final class DispatchingHandler extends ChannelInboundHandlerAdapter implements ClientLink {
    private final Supplier<Router> router;
    private final String listenAddress;
    private final boolean secure;
    private final AlternativeServices alternatives;
    private ChannelHandlerContext ctx;
    private ByteBufAllocator alloc;
    private boolean multiplexed;
    private RequestDispatcher dispatcher;
    private ConnectionTimeouts timeouts;

    public DispatchingHandler(Supplier<Router> router, String listenAddress, boolean secure) {
        this(router, listenAddress, secure, null);
    }

    /** {@code alternatives}: the {@code Alt-Svc} values of the blocks on a TLS listener, {@code null} for none. */
    public DispatchingHandler(Supplier<Router> router, String listenAddress, boolean secure,
                              AlternativeServices alternatives) {
        this.router = router;
        this.listenAddress = listenAddress;
        this.secure = secure;
        this.alternatives = alternatives;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.alloc = ctx.alloc();
        this.multiplexed = ClientStreams.isStream(ctx.channel());
        this.timeouts = ctx.pipeline().get(ConnectionTimeouts.class);
        this.dispatcher = new RequestDispatcher(new ConnectionRoutes(router, listenAddress), secure, alternatives,
                this, timeouts);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        dispatcher.start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        dispatcher.received(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        dispatcher.readComplete();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ConnectionTimeouts.Expired expired) {
            dispatcher.expired(expired.phase());
        } else if (evt == ConnectionEvent.DRAIN) {
            dispatcher.drain();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        dispatcher.writabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dispatcher.closed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        dispatcher.failed(cause);
    }

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public EventExecutor executor() {
        return ctx.executor();
    }

    @Override
    public void read() {
        ctx.read();
    }

    @Override
    public ChannelFuture write(Object message) {
        return watched(message, ctx.write(message));
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return watched(message, ctx.writeAndFlush(message));
    }

    /**
     * A response whose end has not left at once may sit in the output without the channel ever turning
     * unwritable (a file region counts as no bytes, a small response is below the mark): its send clock needs
     * a watch of the output.
     */
    private ChannelFuture watched(Object message, ChannelFuture written) {
        if (message instanceof LastHttpContent && !written.isDone() && timeouts != null) {
            timeouts.outputQueued();
        }
        return written;
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void writeAndClose(Object message) {
        watched(message, ctx.writeAndFlush(message)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public boolean writable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void close() {
        ctx.close();
    }

    @Override
    public ChannelFuture newFailedFuture(Throwable cause) {
        return ctx.newFailedFuture(cause);
    }

    @Override
    public boolean multiplexed() {
        return multiplexed;
    }

    /** An HTTP/3 stream ends once its response has left and its request has been read (the FIN is read). */
    @Override
    public boolean endsWithResponse() {
        return false;
    }

    /**
     * Only an HTTP/1.1 connection's read-ahead can tell; elsewhere the answer is yes, so that the next read
     * waits for a task of its own instead of running inside the call that ended the response.
     */
    @Override
    public boolean holdsRequestBytes() {
        ReadAheadFlowControl readAhead = ctx.pipeline().get(ReadAheadFlowControl.class);
        return readAhead == null || readAhead.holdsRequestBytes();
    }

    @Override
    public InetSocketAddress client() {
        // a stream's PROXY protocol address is recorded on its connection
        Channel connection = multiplexed ? ctx.channel().parent() : ctx.channel();
        InetSocketAddress proxied = ProxyProtocolHandler.proxiedClient(connection);
        return proxied != null ? proxied : ClientStreams.peer(connection);
    }

    @Override
    public String protocol(HttpRequest request) {
        return ClientStreams.protocol(ctx.channel(), request);
    }

    @Override
    public void leaveHttp() {
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(Http1ServerCodec.class);
        pipeline.remove(ReadAheadFlowControl.class);
        pipeline.remove(ConnectionTimeouts.class);
        pipeline.remove(this);
    }
}
