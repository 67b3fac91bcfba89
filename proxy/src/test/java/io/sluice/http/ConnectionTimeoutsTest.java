package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.BodyLimits;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LimitsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The body clocks judged in the order a loaded event loop runs things: bytes that arrive in the same
 * loop iteration as a deadline are read before the timer task runs.
 */
class ConnectionTimeoutsTest {
    private static final LimitsConfig LIMITS = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
            + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of(".")).limits();
    private static final BodyLimits ONE_KB_PER_SECOND = new BodyLimits(1 << 20, Duration.ofSeconds(60), 1000);
    /** One receive-rate window (5 s of waiting) and a little more. */
    private static final long PAST_THE_WINDOW_MILLIS = 5_150;

    private final List<ConnectionTimeouts.Phase> expired = new ArrayList<>();
    private EmbeddedChannel channel;
    private ConnectionTimeouts timeouts;

    @BeforeEach
    void connection() {
        channel = new EmbeddedChannel();
        timeouts = new ConnectionTimeouts(LIMITS, new LoopClock(channel.eventLoop()));
        channel.pipeline().addLast(timeouts, new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ConnectionTimeouts.Expired e) {
                    expired.add(e.phase());
                }
            }
        });
        timeouts.requestReceived(true);
    }

    @AfterEach
    void close() {
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aTrickleWhoseByteBeatsTheTimerToTheWindowsEndIsStillCut() throws InterruptedException {
        timeouts.awaitBody(ONE_KB_PER_SECOND);
        Thread.sleep(PAST_THE_WINDOW_MILLIS);
        // the deadline has passed, but the loop reads the byte before it runs the timer
        timeouts.bodyReceived(1, false);
        timeouts.awaitBody(ONE_KB_PER_SECOND);
        channel.runScheduledPendingTasks();
        assertEquals(List.of(ConnectionTimeouts.Phase.RECEIVE_RATE), expired,
                "1 byte in 5 s of waiting is under 1000 B/s whenever the timer gets to run");
    }

    @Test
    void aWindowWhoseBytesPayForItsWaitingStartsTheNextOne() throws InterruptedException {
        timeouts.awaitBody(ONE_KB_PER_SECOND);
        Thread.sleep(PAST_THE_WINDOW_MILLIS);
        timeouts.bodyReceived(64 * 1024, false);
        timeouts.awaitBody(ONE_KB_PER_SECOND);
        channel.runScheduledPendingTasks();
        assertEquals(List.of(), expired, "64 KiB in about 5 s is well above 1000 B/s");
    }
}
