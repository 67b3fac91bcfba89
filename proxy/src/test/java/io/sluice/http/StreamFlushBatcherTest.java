package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Flushes of a connection's streams leave together: at the end of a read (counting those the handlers behind
 * make when they see the read complete), once the loop has run its queued work outside a read, and at once
 * when too many are held or the connection closes, but not from inside the write that makes the connection
 * unwritable; a failed read holds nothing back.
 */
class StreamFlushBatcherTest {
    private final FlushCounter socket = new FlushCounter();
    private final StreamResponses streams = new StreamResponses();
    private EmbeddedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel(socket, new StreamFlushBatcher(), streams);
    }

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @Test
    void responsesFlushedWhenTheStreamsSeeTheReadCompleteLeaveWithTheRead() {
        streams.flushOnRead = true;
        streams.flushOnReadComplete = true;
        // two reads, then the read complete (EmbeddedChannel fires it after the messages)
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}), Unpooled.wrappedBuffer(new byte[] {2}));
        assertEquals(1, socket.flushes);
        channel.runPendingTasks();
        assertEquals(1, socket.flushes, "nothing left for a task to flush");
        assertEquals(3, outbound());
    }

    @Test
    void flushesOutsideAReadLeaveTogetherOnceTheLoopRunsItsTasks() {
        // written first: EmbeddedChannel runs its pending tasks whenever a write reaches it
        channel.pipeline().write(Unpooled.wrappedBuffer(new byte[] {1}));
        channel.pipeline().write(Unpooled.wrappedBuffer(new byte[] {2}));
        channel.pipeline().flush();
        channel.pipeline().flush();
        assertEquals(0, socket.flushes);
        channel.runPendingTasks();
        assertEquals(1, socket.flushes);
        assertEquals(2, outbound());
    }

    @Test
    void tooManyHeldFlushesGoOutAtOnce() {
        channel.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
        for (int i = 0; i < StreamFlushBatcher.MAX_HELD_FLUSHES - 1; i++) {
            channel.pipeline().flush();
        }
        assertEquals(0, socket.flushes);
        channel.pipeline().flush();
        assertEquals(1, socket.flushes);
        channel.pipeline().fireChannelReadComplete();
        assertEquals(1, socket.flushes, "nothing held after the forced flush");
    }

    @Test
    void aConnectionThatStopsBeingWritableInsideAWriteIsNotFlushedThere() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        channel.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
        channel.pipeline().flush();
        // more than the high water mark pending: the channel turns unwritable while the read is still going
        channel.pipeline().write(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        assertFalse(channel.isWritable());
        assertEquals(0, socket.flushes, "no flush from inside the write (see StreamFlushBatcherFlowControlTest)");
        channel.pipeline().fireChannelReadComplete();
        assertEquals(1, socket.flushes, "what was held leaves with the read");
        assertEquals(1, outbound());
    }

    @Test
    void closingFlushesWhatIsHeldFirst() {
        channel.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
        channel.pipeline().write(Unpooled.wrappedBuffer(new byte[] {1}));
        channel.pipeline().flush();
        channel.pipeline().close();
        assertEquals(1, socket.flushes);
        assertEquals(1, outbound());
    }

    @Test
    void aReadThatFailsHoldsNoLaterFlushBackForItsCompletion() {
        channel.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
        channel.pipeline().fireExceptionCaught(new IllegalStateException("bad record"));
        channel.pipeline().write(Unpooled.wrappedBuffer(new byte[] {1}));
        channel.pipeline().flush();
        channel.runPendingTasks();
        assertEquals(1, socket.flushes);
        assertEquals(1, outbound());
    }

    private int outbound() {
        int messages = 0;
        for (Object msg = channel.readOutbound(); msg != null; msg = channel.readOutbound()) {
            ((ByteBuf) msg).release();
            messages++;
        }
        return messages;
    }

    /** Counts the flushes that reach the transport. */
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            ctx.flush();
        }
    }

    /** Stands in for the stream multiplexer: writes and flushes a response per read and at read complete. */
    private static final class StreamResponses extends ChannelInboundHandlerAdapter {
        boolean flushOnRead;
        boolean flushOnReadComplete;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            if (flushOnRead) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0}));
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (flushOnReadComplete) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0}));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // handled here, as the HTTP/2 codec would: EmbeddedChannel would rethrow it otherwise
        }
    }
}
