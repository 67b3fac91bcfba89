package io.sluice.upstream;

import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeNotes;
import io.sluice.http.ForwardingExchange;

/**
 * The exchange of a background refresh ({@code stale-while-revalidate}): it borrows the client
 * connection's loop and allocator from the request that triggered it, but the client already has its
 * answer, so whatever is written here is dropped. It never reads a body, is always writable, and an abort
 * concerns only the refresh.
 */
final class BackgroundExchange extends ForwardingExchange {
    private final HttpRequest request;
    private final ExchangeNotes notes = new ExchangeNotes();

    BackgroundExchange(Exchange trigger, HttpRequest request) {
        super(trigger);
        this.request = request;
    }

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public ExchangeNotes notes() {
        return notes;
    }

    @Override
    public void readBody() {
    }

    @Override
    public boolean bodyPending() {
        return false;
    }

    @Override
    public ChannelFuture write(Object message) {
        ReferenceCountUtil.release(message);
        return channel().newSucceededFuture();
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return write(message);
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public void abort(String reason) {
    }

    @Override
    public void upgradeToTunnel(HttpResponse switchingProtocols) {
    }
}
