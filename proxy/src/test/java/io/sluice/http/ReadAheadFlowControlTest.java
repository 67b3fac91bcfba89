package io.sluice.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadAheadFlowControlTest {
    private final SocketReads socketReads = new SocketReads();
    private final Reader reader = new Reader();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(socketReads, new ReadAheadFlowControl(), reader);
    }

    @AfterEach
    void tearDown() {
        reader.received.forEach(ReferenceCountUtil::release);
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void deliversOneMessagePerReadAndKeepsTheSocketArmedWhileOnlyTheEndOfARequestIsHeld() {
        reader.ask();
        int before = socketReads.count;
        channel.writeInbound(request("/a"), LastHttpContent.EMPTY_LAST_CONTENT);

        assertEquals(1, reader.received.size(), "only the head was asked for");
        assertTrue(socketReads.count > before, "an empty end of request must not pause reading");

        reader.ask();
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, reader.received.get(1));
    }

    @Test
    void aFlowControlForAWaitingReaderHandsTheFirstMessageOnWithinTheReadItArrivesIn() {
        EmbeddedChannel fresh = new EmbeddedChannel();
        fresh.config().setAutoRead(false);
        Reader waiting = new Reader();
        fresh.pipeline().addLast(ReadAheadFlowControl.forWaitingReader(), waiting);

        fresh.pipeline().fireChannelRead(request("/a"));
        assertEquals(1, waiting.received.size(), "no need to wait for the end of the read cycle");
        fresh.pipeline().fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
        assertEquals(1, waiting.received.size(), "one wish, one message");

        waiting.received.forEach(ReferenceCountUtil::release);
        assertFalse(fresh.finishAndReleaseAll());
    }

    @Test
    void aPipelinedRequestWaitsAndPausesReadingUntilAskedFor() {
        reader.ask();
        channel.writeInbound(request("/a"));
        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
        int armed = socketReads.count;

        channel.writeInbound(request("/b"));
        assertEquals(1, reader.received.size());
        assertEquals(armed, socketReads.count, "bytes nobody asked for pause reading");

        reader.ask();
        reader.ask();
        assertEquals(3, reader.received.size());
        assertEquals("/b", ((HttpRequest) reader.received.get(2)).uri());
        assertTrue(socketReads.count > armed, "reading resumes once the held request is taken");
    }

    @Test
    void saysWhetherARequestHeadOrBodyBytesWaitForTheNextRead() {
        ReadAheadFlowControl flow = channel.pipeline().get(ReadAheadFlowControl.class);
        reader.ask();
        channel.writeInbound(request("/a"));
        assertFalse(flow.holdsRequestBytes(), "the head went to the reader that asked for it");

        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertFalse(flow.holdsRequestBytes(), "an empty end of request carries nothing");

        channel.writeInbound(request("/b"));
        assertTrue(flow.holdsRequestBytes());

        reader.ask();
        assertTrue(flow.holdsRequestBytes(), "the end of /a went first");
        reader.ask();
        assertFalse(flow.holdsRequestBytes());
    }

    @Test
    void bodyBytesReachTheReaderOnlyWhenItAsks() {
        reader.ask();
        channel.writeInbound(request("/upload"), content("abc"), last("def"));
        int afterFirstCycle = socketReads.count;
        assertEquals(1, reader.received.size());

        reader.ask();
        assertEquals("abc", text(reader.received.get(1)));
        assertEquals(afterFirstCycle, socketReads.count, "the last piece is still held");

        reader.ask();
        assertEquals("def", text(reader.received.get(2)));
        assertTrue(socketReads.count > afterFirstCycle);
    }

    @Test
    void anUnansweredWishEndsWithTheReadCycleLikeFlowControlHandlers() {
        reader.ask();
        channel.pipeline().fireChannelReadComplete();
        channel.writeInbound(request("/a"));

        assertTrue(reader.received.isEmpty(), "the reader renews its wish on channelReadComplete, or gets nothing");
        reader.ask();
        assertEquals(1, reader.received.size());
    }

    @Test
    void releasesWhatItHoldsWhenTheConnectionCloses() {
        HttpContent held = content("abc");
        channel.writeInbound(request("/a"), held);
        channel.close();

        assertEquals(0, held.refCnt());
        assertTrue(reader.received.isEmpty());
    }

    @Test
    void handsOnWhatItHeldWhenRemoved() {
        channel.writeInbound(request("/a"), last("xyz"));
        channel.pipeline().remove(ReadAheadFlowControl.class);

        assertEquals(2, reader.received.size());
        assertEquals("xyz", text(reader.received.get(1)));
    }

    private static HttpRequest request(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
    }

    private static HttpContent content(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private static LastHttpContent last(String text) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    private static String text(Object message) {
        return ((HttpContent) message).content().toString(StandardCharsets.US_ASCII);
    }

    /** Counts the reads that reach the socket. */
    private static final class SocketReads extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }

    /** A reader that asks for one message at a time, as the dispatcher does. */
    private static final class Reader extends ChannelInboundHandlerAdapter {
        final List<Object> received = new ArrayList<>();
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void ask() {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received.add(msg);
        }
    }
}
