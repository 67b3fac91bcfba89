package io.sluice.balance;

import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What every event loop shares about one upstream group's servers: requests in flight (for least-conn and
 * p2c), passive health (failures seen by real requests) and the verdict of active health checks. Each
 * field is one atomic per server, touched once or twice per request, so loops never wait on each other.
 *
 * <p>Passive health: {@code max-fails} failures within {@code fail-timeout} take a server out for
 * {@code fail-timeout}; after that one request is let through as a probe, and a failure of a server on
 * probation takes it out again at once, while a success ends the probation.
 */
public final class ServerStates {
    private static final Logger log = LoggerFactory.getLogger(ServerStates.class);

    private final String upstream;
    private final List<UpstreamConfig.Server> servers;
    private final int maxFails;
    private final long failTimeoutNanos;
    private final AtomicIntegerArray inFlight;
    private final AtomicIntegerArray fails;
    private final AtomicLongArray failWindowStart;
    private final AtomicLongArray outUntil;
    private final AtomicIntegerArray probation;
    private final AtomicIntegerArray checkedDown;
    private final long slowStartNanos;
    private final AtomicLongArray recoveredAt;

    public ServerStates(UpstreamConfig config) {
        this.upstream = config.name();
        this.servers = config.servers();
        BalancingConfig.PassiveHealth passive = config.balancing().passiveHealth();
        // as in nginx, a sole server is never taken out: refusing with 503 for fail-timeout would turn
        // a brief hiccup into an outage, and there is nowhere else to send the request
        this.maxFails = config.servers().size() == 1 ? 0 : passive.maxFails();
        this.failTimeoutNanos = passive.failTimeout().toNanos();
        int count = servers.size();
        this.inFlight = new AtomicIntegerArray(count);
        this.fails = new AtomicIntegerArray(count);
        this.failWindowStart = new AtomicLongArray(count);
        this.outUntil = new AtomicLongArray(count);
        this.probation = new AtomicIntegerArray(count);
        this.checkedDown = new AtomicIntegerArray(count);
        this.slowStartNanos = config.balancing().slowStart().toNanos();
        this.recoveredAt = new AtomicLongArray(count);
        long longAgo = System.nanoTime() - slowStartNanos;
        for (int i = 0; i < count; i++) {
            recoveredAt.set(i, longAgo);
        }
    }

    /**
     * {@code weight} in hundredths, ramped up linearly over {@code slow-start} after the server recovered
     * (came back from passive health or was marked up again by checks), so a cold server is not flooded.
     */
    long effectiveWeight(int server, int weight, long nowNanos) {
        long full = weight * 100L;
        long since = nowNanos - recoveredAt.get(server);
        if (since >= slowStartNanos) {
            return full;
        }
        return Math.max(1, full * since / slowStartNanos);
    }

    public int size() {
        return servers.size();
    }

    public int inFlight(int server) {
        return inFlight.get(server);
    }

    void started(int server) {
        inFlight.incrementAndGet(server);
    }

    void ended(int server) {
        inFlight.decrementAndGet(server);
    }

    /** Usable now: not marked down by health checks and not taken out by passive health. */
    public boolean available(int server, long nowNanos) {
        return checkedDown.get(server) == 0 && nowNanos - outUntil.get(server) >= 0;
    }

    /** Active health checks concluded {@code healthy}; a server marked down receives no requests. */
    public void checked(int server, boolean healthy) {
        int wasDown = checkedDown.getAndSet(server, healthy ? 0 : 1);
        if (healthy && wasDown == 1) {
            recoveredAt.set(server, System.nanoTime());
        }
    }

    public boolean checkedDown(int server) {
        return checkedDown.get(server) != 0;
    }

    /** Whether passive health has taken the server out at {@code nowNanos}. */
    public boolean passivelyOut(int server, long nowNanos) {
        return nowNanos - outUntil.get(server) < 0;
    }

    void succeeded(int server) {
        if (probation.compareAndSet(server, 1, 0)) {
            fails.set(server, 0);
            recoveredAt.set(server, System.nanoTime());
            log.info("upstream {} server {}: answering again after being taken out", upstream, name(server));
        }
    }

    void failed(int server, long nowNanos) {
        if (maxFails == 0) {
            return;
        }
        if (probation.get(server) == 1) {
            takeOut(server, nowNanos, "failed again after " + failTimeoutNanos / 1_000_000 + "ms out");
            return;
        }
        long windowStart = failWindowStart.get(server);
        int count;
        if (fails.get(server) == 0 || nowNanos - windowStart >= failTimeoutNanos) {
            failWindowStart.set(server, nowNanos);
            fails.set(server, 1);
            count = 1;
        } else {
            count = fails.incrementAndGet(server);
        }
        if (count >= maxFails) {
            takeOut(server, nowNanos, count + " failures within " + failTimeoutNanos / 1_000_000 + "ms");
        }
    }

    private void takeOut(int server, long nowNanos, String why) {
        fails.set(server, 0);
        long until = nowNanos + failTimeoutNanos;
        long previous = outUntil.getAndSet(server, until);
        probation.set(server, 1);
        if (nowNanos - previous >= 0) {
            log.warn("upstream {} server {}: taken out for {}ms ({})", upstream, name(server),
                    failTimeoutNanos / 1_000_000, why);
        }
    }

    /** What the balancer sees of every server now, for the admin API. */
    public List<ServerView> view() {
        long now = System.nanoTime();
        List<ServerView> views = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            UpstreamConfig.Server server = servers.get(i);
            String state = checkedDown(i) ? "down" : passivelyOut(i, now) ? "out" : "up";
            views.add(new ServerView(name(i), server.backup(), state, inFlight(i), fails.get(i), server.weight(),
                    effectiveWeight(i, server.weight(), now) / 100.0));
        }
        return List.copyOf(views);
    }

    private String name(int server) {
        return servers.get(server).address().toString();
    }
}
