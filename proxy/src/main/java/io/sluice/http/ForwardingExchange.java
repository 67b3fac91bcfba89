package io.sluice.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.config.LocationConfig;

import java.net.InetSocketAddress;

/** An exchange that passes everything to another; decorators (cache, compression, limits) override what they change. */
public class ForwardingExchange implements Exchange {
    protected final Exchange delegate;

    protected ForwardingExchange(Exchange delegate) {
        this.delegate = delegate;
    }

    @Override
    public Channel channel() {
        return delegate.channel();
    }

    @Override
    public boolean multiplexed() {
        return delegate.multiplexed();
    }

    @Override
    public ByteBufAllocator alloc() {
        return delegate.alloc();
    }

    @Override
    public HttpRequest request() {
        return delegate.request();
    }

    @Override
    public String host() {
        return delegate.host();
    }

    @Override
    public String path() {
        return delegate.path();
    }

    @Override
    public LocationConfig location() {
        return delegate.location();
    }

    @Override
    public InetSocketAddress clientAddress() {
        return delegate.clientAddress();
    }

    @Override
    public boolean secure() {
        return delegate.secure();
    }

    @Override
    public ExchangeNotes notes() {
        return delegate.notes();
    }

    @Override
    public long startNanos() {
        return delegate.startNanos();
    }

    @Override
    public void readBody() {
        delegate.readBody();
    }

    @Override
    public boolean bodyPending() {
        return delegate.bodyPending();
    }

    @Override
    public ChannelFuture write(Object message) {
        return delegate.write(message);
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return delegate.writeAndFlush(message);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public boolean writable() {
        return delegate.writable();
    }

    @Override
    public void abort(String reason) {
        delegate.abort(reason);
    }

    @Override
    public void upgradeToTunnel(HttpResponse switchingProtocols) {
        delegate.upgradeToTunnel(switchingProtocols);
    }

    @Override
    public boolean rewritesBody() {
        return delegate.rewritesBody();
    }

    @Override
    public boolean mayRewriteBody() {
        return delegate.mayRewriteBody();
    }
}
