package io.sluice.server;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real event loops, one of them blocked on purpose: the watch must name it, and where it is stuck. */
class LoopStallWatchTest {
    private final MultiThreadIoEventLoopGroup loops =
            new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("watched", true), NioIoHandler.newFactory());
    private final List<LoopStallWatch.Stall> stalls = new CopyOnWriteArrayList<>();
    private final List<LoopStallWatch.Pause> pauses = new CopyOnWriteArrayList<>();
    private final LoopStallWatch watch = new LoopStallWatch(loops, TimeUnit.MILLISECONDS.toNanos(300),
            TimeUnit.MILLISECONDS.toNanos(20), stalls::add, pauses::add);

    @AfterEach
    void stop() {
        watch.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static void blockTheLoopOnPurpose(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aBlockedLoopIsReportedOnceWithTheStackItIsStuckIn() throws Exception {
        Iterator<EventExecutor> each = loops.iterator();
        EventExecutor blocked = each.next();
        EventExecutor free = each.next();
        String blockedName = blocked.submit(() -> Thread.currentThread().getName()).get();
        String freeName = free.submit(() -> Thread.currentThread().getName()).get();
        Thread.sleep(200);

        blocked.execute(() -> blockTheLoopOnPurpose(1500));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (stalls.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, stalls.size(), "one report while the loop is stuck");
        LoopStallWatch.Stall stall = stalls.get(0);
        assertEquals(blockedName, stall.thread());
        assertTrue(stall.nanos() >= TimeUnit.MILLISECONDS.toNanos(300), "reported after the warning time");
        assertTrue(Arrays.stream(stall.stack()).anyMatch(frame -> frame.getMethodName().equals("blockTheLoopOnPurpose")),
                stall.describe());
        assertTrue(stall.describe().contains("blockTheLoopOnPurpose"), stall.describe());
        assertEquals(List.of(), pauses, "one loop stuck is not the process held");
        assertEquals(Thread.State.TIMED_WAITING, stall.state());
        assertTrue(stall.describe().contains("It is waiting (thread state TIMED_WAITING"), stall.describe());
        assertTrue(watch.lagSeconds().get(blockedName) >= 0.3, "a stall in progress shows as lag");

        // once the loop runs again the stall is over: no second report, and the lag stays visible for a while
        blocked.submit(() -> null).get(5, TimeUnit.SECONDS);
        Thread.sleep(400);
        assertEquals(1, stalls.size());
        assertEquals(1, watch.stalls());
        Map<String, Double> lags = watch.lagSeconds();
        assertTrue(lags.get(blockedName) >= 1.0, "the blocked loop's lag: " + lags);
        assertTrue(lags.get(freeName) < 0.3, "the other loop kept its beat: " + lags);
    }

    @Test
    void aStallSaysWhetherTheLoopWasBusyOrWaiting() {
        StackTraceElement[] stack = {new StackTraceElement("app.Code", "work", "Code.java", 1)};
        long second = TimeUnit.SECONDS.toNanos(1);
        assertTrue(new LoopStallWatch.Stall("l", second, second * 9 / 20, second / 2, Thread.State.RUNNABLE, stack).describe()
                .contains("It is busy: 450 ms of CPU in its last 500 ms, in:\n\tat app.Code.work(Code.java:1)"));
        assertTrue(new LoopStallWatch.Stall("l", second, 0, second / 2, Thread.State.RUNNABLE, stack).describe()
                .contains("waiting in a system call, or not given a CPU"));
        assertTrue(new LoopStallWatch.Stall("l", second, 0, second / 2, Thread.State.BLOCKED, stack).describe()
                .contains("waiting (thread state BLOCKED"));
        StackTraceElement[] idle = {new StackTraceElement("io.netty.channel.epoll.Native", "epollWait0", null, -2)};
        assertTrue(new LoopStallWatch.Stall("l", second, 0, second / 2, Thread.State.RUNNABLE, idle).describe()
                .contains("waiting for I/O, not running code"));
    }

    @Test
    void busyLoopsThatKeepRunningTasksAreNotReported() throws Exception {
        EventExecutor loop = loops.next();
        // work arriving all the time, as reads do under load: the loop is mostly busy, but never stuck
        for (int i = 0; i < 150; i++) {
            loop.execute(() -> blockTheLoopOnPurpose(5));
            Thread.sleep(8);
        }
        loop.submit(() -> null).get(10, TimeUnit.SECONDS);
        Thread.sleep(400);
        assertEquals(List.of(), stalls);
        assertEquals(0, watch.stalls());
    }
}
