package io.sluice.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.BodyLimits;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LimitsConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** One loop's clock wakes many connections each at its own deadline, in deadline order, and none that stopped. */
class LoopClockTest {
    private static final LimitsConfig LIMITS = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
            + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of(".")).limits();
    private static final int CONNECTIONS = 100;
    private static final int STEP_MILLIS = 10;

    @Test
    void wakesEachWaitingConnectionInDeadlineOrderAndNoneThatClosed() throws InterruptedException {
        EmbeddedChannel loopChannel = new EmbeddedChannel();
        LoopClock clock = new LoopClock(loopChannel.eventLoop());
        List<Integer> ranks = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            ranks.add(i);
        }
        Collections.shuffle(ranks, new Random(7));
        List<Integer> expired = new ArrayList<>();
        long[] deadlines = new long[CONNECTIONS];
        List<EmbeddedChannel> connections = new ArrayList<>();
        for (int rank : ranks) {
            EmbeddedChannel connection = new EmbeddedChannel();
            ConnectionTimeouts timeouts = new ConnectionTimeouts(LIMITS, clock);
            connection.pipeline().addLast(timeouts, new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                    if (evt instanceof ConnectionTimeouts.Expired) {
                        expired.add(rank);
                    }
                }
            });
            timeouts.requestReceived(true);
            // first a later deadline, then the real one: moving a waiting entry earlier
            timeouts.awaitBody(new BodyLimits(1 << 20, Duration.ofSeconds(60), 0));
            timeouts.requestReceived(true);
            timeouts.awaitBody(new BodyLimits(1 << 20, Duration.ofMillis(100 + (long) rank * STEP_MILLIS), 0));
            deadlines[rank] = timeouts.wakeAt;
            connections.add(connection);
        }
        List<Integer> waiting = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            int rank = ranks.get(i);
            if (rank % 3 == 0) {
                assertFalse(connections.get(i).finishAndReleaseAll());
            } else {
                waiting.add(rank);
            }
        }
        waiting.sort((a, b) -> Long.compare(deadlines[a], deadlines[b]));
        assertEquals(waiting.size(), clock.pending(), "closed connections leave the clock at once");

        Thread.sleep(100 + CONNECTIONS * STEP_MILLIS + 200);
        loopChannel.runScheduledPendingTasks();

        assertEquals(waiting, expired);
        assertEquals(0, clock.pending());
        for (EmbeddedChannel connection : connections) {
            assertFalse(connection.finishAndReleaseAll());
        }
        assertFalse(loopChannel.finishAndReleaseAll());
    }

    @Test
    void aConnectionThatWakesAndWaitsLongerDoesNotHoldBackTheNextOne() throws InterruptedException {
        EmbeddedChannel loopChannel = new EmbeddedChannel();
        LoopClock clock = new LoopClock(loopChannel.eventLoop());
        List<String> released = new ArrayList<>();
        EmbeddedChannel first = idleConnection(clock, "first", released);
        Thread.sleep(300);
        EmbeddedChannel second = idleConnection(clock, "second", released);
        long releaseMillis = TimeUnit.NANOSECONDS.toMillis(ConnectionTimeouts.RELEASE_AFTER_NANOS);

        Thread.sleep(releaseMillis - 300 + 100);
        // the first releases and waits on for its keep-alive deadline, far later than the second's release
        loopChannel.runScheduledPendingTasks();
        assertEquals(List.of("first"), released);
        Thread.sleep(300 + 100);
        loopChannel.runScheduledPendingTasks();
        assertEquals(List.of("first", "second"), released);

        assertFalse(first.finishAndReleaseAll());
        assertFalse(second.finishAndReleaseAll());
        assertFalse(loopChannel.finishAndReleaseAll());
    }

    @Test
    void aConnectionWhoseWakeUpFailsDoesNotStopTheOthers() throws InterruptedException {
        EmbeddedChannel loopChannel = new EmbeddedChannel();
        LoopClock clock = new LoopClock(loopChannel.eventLoop());
        List<String> released = new ArrayList<>();
        EmbeddedChannel failing = idleConnection(clock, "failing", released);
        Thread.sleep(50);
        EmbeddedChannel next = idleConnection(clock, "next", released);

        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(ConnectionTimeouts.RELEASE_AFTER_NANOS) + 200);
        loopChannel.runScheduledPendingTasks();

        assertEquals(List.of("failing", "next"), released);
        assertFalse(failing.finishAndReleaseAll());
        assertFalse(next.finishAndReleaseAll());
        assertFalse(loopChannel.finishAndReleaseAll());
    }

    /**
     * A connection that has just served a request and idles, noting in {@code released} when it lets go; one
     * named "failing" throws while it does.
     */
    private static EmbeddedChannel idleConnection(LoopClock clock, String name, List<String> released) {
        EmbeddedChannel connection = new EmbeddedChannel();
        ConnectionTimeouts timeouts = new ConnectionTimeouts(LIMITS, clock);
        connection.pipeline().addLast(timeouts);
        timeouts.releaseWhenIdle(new ConnectionTimeouts.IdleRelease() {
            @Override
            public void release(ChannelPipeline pipeline) {
                released.add(name);
                if (name.equals("failing")) {
                    throw new IllegalStateException("release failed");
                }
            }

            @Override
            public void restore(ChannelPipeline pipeline) {
            }
        });
        timeouts.requestReceived(false);
        timeouts.awaitRequest();
        return connection;
    }
}
