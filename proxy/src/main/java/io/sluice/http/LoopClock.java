package io.sluice.http;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The timers of the client connections on one event loop: a heap of their {@link ConnectionTimeouts},
 * ordered by when each wants to wake, and one loop task scheduled for the earliest.
 *
 * <p>Why not a scheduled task per connection: most connections idle most of their life, each with its
 * keep-alive clock pending, and Netty's scheduled task is a 64-byte object (plus the runnable it runs) held
 * for as long as the clock runs, made and cancelled again by every new connection. Here a connection is its
 * own heap entry (an index in it), so a pending clock costs one array slot. A connection whose clock stops
 * leaves the heap at once; the loop task is only moved when the earliest wake-up comes sooner, so at worst
 * it wakes once for nothing and sets itself for the next one.
 *
 * <p>Loop-confined: every method runs on {@link #loop}.
 */
public final class LoopClock implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(LoopClock.class);
    private static final long NONE = Long.MAX_VALUE;

    private final EventExecutor loop;
    private ConnectionTimeouts[] heap = new ConnectionTimeouts[16];
    private int size;
    private ScheduledFuture<?> task;
    /** When {@link #task} runs; meaningful only while there is one. */
    private long taskAt;
    /** The task is waking connections: it sets itself for the earliest wake-up once they are done. */
    private boolean running;

    public LoopClock(EventExecutor loop) {
        this.loop = loop;
    }

    /** One clock per event loop, made on first use: what a listener's connections share. */
    public static final class PerLoop {
        private final ConcurrentHashMap<EventExecutor, LoopClock> clocks = new ConcurrentHashMap<>();

        public LoopClock of(EventExecutor loop) {
            LoopClock clock = clocks.get(loop);
            return clock != null ? clock : clocks.computeIfAbsent(loop, LoopClock::new);
        }
    }

    /** Wakes {@code timeouts} at {@code at} ({@link System#nanoTime()}), instead of when it was due before. */
    void wake(ConnectionTimeouts timeouts, long at) {
        int index = timeouts.clockIndex;
        long before = timeouts.wakeAt;
        timeouts.wakeAt = at;
        if (index < 0) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            siftUp(size++, timeouts);
        } else if (at - before < 0) {
            siftUp(index, timeouts);
        } else {
            siftDown(index, timeouts);
        }
        if (!running && (task == null || at - taskAt < 0)) {
            scheduleTask(at);
        }
    }

    /** {@code timeouts} needs no wake-up. */
    void cancel(ConnectionTimeouts timeouts) {
        int index = timeouts.clockIndex;
        if (index < 0) {
            return;
        }
        long removedAt = timeouts.wakeAt;
        timeouts.clockIndex = -1;
        timeouts.wakeAt = NONE;
        ConnectionTimeouts last = heap[--size];
        heap[size] = null;
        if (last != timeouts) {
            // the last entry fills the gap, then moves to where its time belongs
            if (last.wakeAt - removedAt < 0) {
                siftUp(index, last);
            } else {
                siftDown(index, last);
            }
        }
    }

    /** The loop task: wakes every connection that is due, then sets itself for the next one. */
    @Override
    public void run() {
        task = null;
        long now = System.nanoTime();
        running = true;
        try {
            // bounded: a connection that wakes and is due again at once waits for the next run, as it would
            // with a timer of its own
            for (int budget = size; budget > 0 && size > 0 && heap[0].wakeAt - now <= 0; budget--) {
                ConnectionTimeouts due = heap[0];
                cancel(due);
                try {
                    due.onTimer(now);
                } catch (RuntimeException e) {
                    // one connection's failure must not stop the clocks of all the others on this loop
                    log.warn("connection clock failed", e);
                }
            }
        } finally {
            running = false;
        }
        if (size > 0) {
            scheduleTask(heap[0].wakeAt);
        }
    }

    /** How many connections wait for a wake-up. */
    int pending() {
        return size;
    }

    private void scheduleTask(long at) {
        if (task != null) {
            task.cancel(false);
        }
        taskAt = at;
        task = loop.schedule(this, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void siftUp(int index, ConnectionTimeouts timeouts) {
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            ConnectionTimeouts above = heap[parent];
            if (timeouts.wakeAt - above.wakeAt >= 0) {
                break;
            }
            place(index, above);
            index = parent;
        }
        place(index, timeouts);
    }

    private void siftDown(int index, ConnectionTimeouts timeouts) {
        int half = size >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            int right = child + 1;
            if (right < size && heap[right].wakeAt - heap[child].wakeAt < 0) {
                child = right;
            }
            ConnectionTimeouts below = heap[child];
            if (below.wakeAt - timeouts.wakeAt >= 0) {
                break;
            }
            place(index, below);
            index = child;
        }
        place(index, timeouts);
    }

    private void place(int index, ConnectionTimeouts timeouts) {
        heap[index] = timeouts;
        timeouts.clockIndex = index;
    }
}
