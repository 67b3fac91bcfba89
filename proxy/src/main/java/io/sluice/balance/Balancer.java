package io.sluice.balance;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/**
 * Chooses the server for each attempt of a request, and is told how attempts go. One instance per event
 * loop and upstream group, called only on that loop; what loops share lives in {@link ServerStates}.
 * Servers are numbered as configured.
 *
 * <p>The candidates of a pick are the servers not yet tried by the request and not out of service (marked
 * down by health checks or taken out by passive health). Backup servers are candidates only when no
 * primary server is.
 */
public abstract class Balancer {
    /** Every server has been tried by this request. */
    public static final int NONE_LEFT = -1;
    /** Servers remain untried, but every one of them is out of service; or the group has no server now. */
    public static final int NONE_AVAILABLE = -2;
    /** Candidates exist, but every one has {@code max-connections} requests in flight. */
    public static final int SATURATED = -3;

    final ServerStates states;
    final int[] weights;
    /** The candidates' weights for the pick being made, with slow start applied. */
    final long[] effective;
    final RandomGenerator random;
    private final GroupBalance group;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private volatile int waitingCount;
    private Executor loop;
    private boolean saturated;

    Balancer(GroupBalance group, RandomGenerator random) {
        this.group = group;
        this.states = group.states();
        this.weights = group.weights();
        this.effective = new long[weights.length];
        this.random = random;
    }

    /**
     * The server for the next attempt, skipping those whose bit is set in {@code tried}; {@code key} is the
     * request's hash key (only the {@code hash} algorithm reads it; null when the request has none).
     * Returns {@link #NONE_LEFT}, {@link #NONE_AVAILABLE} or {@link #SATURATED} when there is no candidate.
     */
    public final int pick(long tried, CharSequence key) {
        long now = System.nanoTime();
        saturated = false;
        long candidates = available(group.primaries() & ~tried, now);
        if (candidates == 0) {
            candidates = available(group.backups() & ~tried, now);
        }
        if (candidates != 0) {
            return choose(candidates, key);
        }
        if (saturated) {
            return SATURATED;
        }
        long servers = group.primaries() | group.backups();
        // a group whose host names resolve to no address at all has no server to be out of service, but
        // for the client that is the same as every server being out: 503, not 502
        return servers != 0 && (servers & ~tried) == 0 ? NONE_LEFT : NONE_AVAILABLE;
    }

    private long available(long servers, long now) {
        long result = 0;
        for (long rest = servers; rest != 0; rest &= rest - 1) {
            int server = Long.numberOfTrailingZeros(rest);
            if (!states.available(server, now)) {
                continue;
            }
            if (group.saturated(server)) {
                saturated = true;
            } else {
                result |= 1L << server;
                effective[server] = states.effectiveWeight(server, weights[server], now);
            }
        }
        return result;
    }

    /** One of {@code candidates} (a non-empty bit mask of servers). */
    abstract int choose(long candidates, CharSequence key);

    /** An attempt is sent to {@code server}; {@code retry} when it is not the request's first. */
    public final void attemptStarted(int server, boolean retry) {
        states.started(server);
        if (!retry) {
            group.retryBudget().requestStarted(System.nanoTime());
        }
    }

    /** The attempt on {@code server} is over (response complete, failed, or abandoned). */
    public final void attemptEnded(int server) {
        states.ended(server);
        group.slotFreed(this);
    }

    /**
     * Queues a request that found every server saturated: {@code wake} runs on {@code loop} (this
     * balancer's loop) when a slot frees, unless {@link #cancelWait} took it back first. False when the
     * group's queue is full.
     */
    public final boolean await(Runnable wake, Executor loop) {
        this.loop = loop;
        if (!group.enqueue()) {
            return false;
        }
        waiting.addLast(wake);
        waitingCount = waiting.size();
        return true;
    }

    /** Takes a queued request back (timeout, client gone); false when it was already woken. */
    public final boolean cancelWait(Runnable wake) {
        if (waiting.remove(wake)) {
            waitingCount = waiting.size();
            group.dequeued();
            return true;
        }
        return false;
    }

    boolean hasWaiting() {
        return waitingCount > 0;
    }

    /**
     * Wakes this loop's longest-waiting request, in a task of its own: the request that freed the slot
     * is still finishing when this is called.
     */
    void wakeOneOnItsLoop() {
        loop.execute(() -> {
            Runnable wake = waiting.pollFirst();
            if (wake != null) {
                waitingCount = waiting.size();
                group.dequeued();
                wake.run();
            }
        });
    }

    /** The server answered ({@code failed = false}) or failed to (connect error, reset, timeout, 5xx if so configured). */
    public final void report(int server, boolean failed) {
        if (failed) {
            states.failed(server, System.nanoTime());
        } else {
            states.succeeded(server);
        }
    }

    /** Takes a retry from the group's retry budget; false when the budget is spent. */
    public final boolean tryRetry() {
        return group.retryBudget().tryRetry(System.nanoTime());
    }

    /** A weighted random candidate. */
    final int weightedRandom(long candidates) {
        long total = 0;
        for (long rest = candidates; rest != 0; rest &= rest - 1) {
            total += effective[Long.numberOfTrailingZeros(rest)];
        }
        long point = random.nextLong(total);
        for (long rest = candidates; ; rest &= rest - 1) {
            int server = Long.numberOfTrailingZeros(rest);
            point -= effective[server];
            if (point < 0) {
                return server;
            }
        }
    }

    /** Whether {@code a} carries less load per unit of weight than {@code b}. */
    final boolean lessLoaded(int a, int b) {
        return states.inFlight(a) * effective[b] < states.inFlight(b) * effective[a];
    }
}
