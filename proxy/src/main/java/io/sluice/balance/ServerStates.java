package io.sluice.balance;

import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every event loop shares about one upstream group's servers: requests in flight (for least-conn and
 * p2c), passive health (failures seen by real requests) and the verdict of active health checks. Each
 * field is one atomic per server, touched once or twice per request, so loops never wait on each other.
 * Servers are numbered as in the group's current server set; a server that was in the previous set (same
 * {@linkplain UpstreamConfig.Server#name() name}) keeps its {@link ServerState}.
 *
 * <p>Passive health: {@code max-fails} failures within {@code fail-timeout} take a server out for
 * {@code fail-timeout}; after that one request is let through as a probe, and a failure of a server on
 * probation takes it out again at once, while a success ends the probation.
 */
public final class ServerStates {
    private static final Logger log = LoggerFactory.getLogger(ServerStates.class);

    private final String upstream;
    private final List<UpstreamConfig.Server> servers;
    private final ServerState[] states;
    private final Map<String, Integer> indexByName = new HashMap<>();
    private final int maxFails;
    private final long failTimeoutNanos;
    private final long slowStartNanos;

    /** The states of {@code config}'s servers, taking over those of servers {@code previous} (may be null) also had. */
    ServerStates(UpstreamConfig config, ServerStates previous) {
        this.upstream = config.name();
        this.servers = config.servers();
        BalancingConfig.PassiveHealth passive = config.balancing().passiveHealth();
        // as in nginx, a sole server is never taken out: refusing with 503 for fail-timeout would turn
        // a brief hiccup into an outage, and there is nowhere else to send the request
        this.maxFails = config.servers().size() == 1 ? 0 : passive.maxFails();
        this.failTimeoutNanos = passive.failTimeout().toNanos();
        this.slowStartNanos = config.balancing().slowStart().toNanos();
        this.states = new ServerState[servers.size()];
        long longAgo = System.nanoTime() - slowStartNanos;
        for (int i = 0; i < states.length; i++) {
            String name = servers.get(i).name();
            ServerState kept = previous == null ? null : previous.state(name);
            states[i] = kept != null ? kept : new ServerState(longAgo);
            indexByName.putIfAbsent(name, i);
        }
    }

    private ServerState state(String name) {
        Integer index = indexByName.get(name);
        return index == null ? null : states[index];
    }

    /**
     * {@code weight} in hundredths, ramped up linearly over {@code slow-start} after the server recovered
     * (came back from passive health or was marked up again by checks), so a cold server is not flooded.
     */
    long effectiveWeight(int server, int weight, long nowNanos) {
        long full = weight * 100L;
        if (slowStartNanos == 0) {
            return full;
        }
        // a clock read before another thread recorded the recovery gives a negative age: just recovered
        long since = nowNanos - states[server].recoveredAt.get();
        if (since >= slowStartNanos) {
            return full;
        }
        return Math.max(1, full * since / slowStartNanos);
    }

    public int size() {
        return servers.size();
    }

    public int inFlight(int server) {
        return states[server].inFlight.get();
    }

    void started(int server) {
        states[server].inFlight.incrementAndGet();
    }

    void ended(int server) {
        states[server].inFlight.decrementAndGet();
    }

    /** Usable now: not drained, not marked down by health checks and not taken out by passive health. */
    public boolean available(int server, long nowNanos) {
        ServerState state = states[server];
        return state.checkedDown.get() == 0 && state.drained.get() == 0 && nowNanos - state.outUntil.get() >= 0;
    }

    /**
     * An operator drains the server of that name ({@code drained}) or puts it back; false when this set has
     * no such server. The state belongs to the server, so it outlives reloads and DNS changes that keep it.
     */
    public boolean drain(String name, boolean drained) {
        ServerState state = state(name);
        if (state == null) {
            return false;
        }
        int was = state.drained.getAndSet(drained ? 1 : 0);
        if (was == 1 && !drained) {
            state.recoveredAt.set(System.nanoTime());
        }
        if (was != (drained ? 1 : 0)) {
            log.info("upstream {} server {}: {} by the admin API", upstream, name, drained ? "drained" : "back in service");
        }
        return true;
    }

    /** Active health checks concluded {@code healthy}; a server marked down receives no requests. */
    public void checked(int server, boolean healthy) {
        ServerState state = states[server];
        int wasDown = state.checkedDown.getAndSet(healthy ? 0 : 1);
        if (healthy && wasDown == 1) {
            state.recoveredAt.set(System.nanoTime());
        }
    }

    /** {@link #checked(int, boolean)} for the server of that name; ignored when it is not in this set. */
    public void checked(String name, boolean healthy) {
        Integer index = indexByName.get(name);
        if (index != null) {
            checked(index, healthy);
        }
    }

    public boolean checkedDown(int server) {
        return states[server].checkedDown.get() != 0;
    }

    /** Whether passive health has taken the server out at {@code nowNanos}. */
    public boolean passivelyOut(int server, long nowNanos) {
        return nowNanos - states[server].outUntil.get() < 0;
    }

    void succeeded(int server) {
        ServerState state = states[server];
        if (state.probation.compareAndSet(1, 0)) {
            state.fails.set(0);
            state.recoveredAt.set(System.nanoTime());
            log.info("upstream {} server {}: answering again after being taken out", upstream, name(server));
        }
    }

    void failed(int server, long nowNanos) {
        if (maxFails == 0) {
            return;
        }
        ServerState state = states[server];
        if (state.probation.get() == 1) {
            takeOut(server, nowNanos, "failed again after " + failTimeoutNanos / 1_000_000 + "ms out");
            return;
        }
        long windowStart = state.failWindowStart.get();
        int count;
        if (state.fails.get() == 0 || nowNanos - windowStart >= failTimeoutNanos) {
            state.failWindowStart.set(nowNanos);
            state.fails.set(1);
            count = 1;
        } else {
            count = state.fails.incrementAndGet();
        }
        if (count >= maxFails) {
            takeOut(server, nowNanos, count + " failures within " + failTimeoutNanos / 1_000_000 + "ms");
        }
    }

    private void takeOut(int server, long nowNanos, String why) {
        ServerState state = states[server];
        state.fails.set(0);
        long until = nowNanos + failTimeoutNanos;
        long previous = state.outUntil.getAndSet(until);
        state.probation.set(1);
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
            String state = states[i].drained.get() != 0 ? "drain" : checkedDown(i) ? "down" : passivelyOut(i, now) ? "out" : "up";
            views.add(new ServerView(name(i), server.backup(), state, inFlight(i), states[i].fails.get(), server.weight(),
                    effectiveWeight(i, server.weight(), now) / 100.0, server.tls(), server.address().toString()));
        }
        return List.copyOf(views);
    }

    /** The name of server {@code server} of this set, as in logs and the admin API. */
    public String name(int server) {
        return servers.get(server).name();
    }
}
