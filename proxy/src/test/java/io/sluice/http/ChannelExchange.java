package io.sluice.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.config.LocationConfig;

import java.net.InetSocketAddress;

/**
 * An exchange that writes straight to a channel (an EmbeddedChannel in unit tests), standing in for the
 * dispatcher where a handler or decorator is the unit under test. It records aborts.
 */
final class ChannelExchange implements Exchange {
    private final Channel channel;
    private final HttpRequest request;
    private final LocationConfig location;
    private final ExchangeNotes notes = new ExchangeNotes();
    String abortReason;

    ChannelExchange(Channel channel, HttpRequest request, LocationConfig location) {
        this.channel = channel;
        this.request = request;
        this.location = location;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public HttpRequest request() {
        return request;
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public String path() {
        return request.uri();
    }

    @Override
    public LocationConfig location() {
        return location;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return new InetSocketAddress("127.0.0.1", 40000);
    }

    @Override
    public boolean secure() {
        return false;
    }

    @Override
    public ExchangeNotes notes() {
        return notes;
    }

    @Override
    public long startNanos() {
        return 0;
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
        return channel.write(message);
    }

    @Override
    public ChannelFuture writeAndFlush(Object message) {
        return channel.writeAndFlush(message);
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean writable() {
        return channel.isWritable();
    }

    @Override
    public void abort(String reason) {
        abortReason = reason;
    }
}
