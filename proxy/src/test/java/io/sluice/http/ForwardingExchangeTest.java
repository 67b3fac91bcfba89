package io.sluice.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertSame;

class ForwardingExchangeTest {
    @Test
    void responseBuffersComeFromTheAllocatorOfTheExchangeItWraps() {
        EmbeddedChannel channel = new EmbeddedChannel();
        ByteBufAllocator connections = new UnpooledByteBufAllocator(false);
        channel.config().setAllocator(connections);
        Exchange inner = new ChannelExchange(channel,
                new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), null);

        Exchange wrapped = new ForwardingExchange(inner) {
        };

        assertSame(connections, wrapped.alloc());
        channel.finishAndReleaseAll();
    }
}
