package io.sluice.balance;

import io.sluice.config.BalancingConfig;
import io.sluice.config.UpstreamConfig;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * The balancing state of one upstream group that all event loops share: server health and load
 * ({@link ServerStates}), the retry budget and, for {@code hash}, the ring. Each loop asks it for its own
 * {@link Balancer}, whose algorithm state (rotation, random generator) is confined to that loop.
 */
public final class GroupBalance {
    /** Servers are tracked in 64-bit masks, as the proxy tracks the servers a request tried. */
    public static final int MAX_SERVERS = 64;

    private final UpstreamConfig config;
    private final ServerStates states;
    private final RetryBudget retryBudget;
    private final HashRing ring;
    private final int[] weights;
    private final long primaries;
    private final long backups;
    private final int maxConnections;
    private final int queueSize;
    private final AtomicInteger queued = new AtomicInteger();
    private final List<Balancer> balancers = new CopyOnWriteArrayList<>();

    public GroupBalance(UpstreamConfig config) {
        this(config, null);
    }

    /**
     * The balancing of {@code config}'s servers (a group's current server set, host names resolved), taking
     * over from {@code previous}, the balancing of the group's earlier set: the state of servers in both
     * sets and the retry budget carry on.
     */
    public GroupBalance(UpstreamConfig config, GroupBalance previous) {
        List<UpstreamConfig.Server> servers = config.servers();
        if (servers.size() > MAX_SERVERS) {
            throw new IllegalArgumentException("upstream " + config.name() + " has more than " + MAX_SERVERS + " servers");
        }
        this.config = config;
        this.states = new ServerStates(config, previous == null ? null : previous.states);
        this.retryBudget = previous != null ? previous.retryBudget : new RetryBudget(config.balancing().retryBudget());
        this.weights = servers.stream().mapToInt(UpstreamConfig.Server::weight).toArray();
        long primaryMask = 0;
        long backupMask = 0;
        for (int i = 0; i < servers.size(); i++) {
            if (servers.get(i).backup()) {
                backupMask |= 1L << i;
            } else {
                primaryMask |= 1L << i;
            }
        }
        this.maxConnections = config.balancing().maxConnections();
        this.queueSize = config.balancing().queue().size();
        this.primaries = primaryMask;
        this.backups = backupMask;
        this.ring = config.balancing().algorithm() == BalancingConfig.Algorithm.HASH
                ? new HashRing(servers.stream().map(UpstreamConfig.Server::name).toList(), weights)
                : null;
    }

    public ServerStates states() {
        return states;
    }

    /** A new balancer for one event loop; {@code random} is used by random, p2c and keyless hash picks. */
    public Balancer newBalancer(RandomGenerator random) {
        Balancer balancer = create(random);
        balancers.add(balancer);
        return balancer;
    }

    /**
     * The server a pick would choose now for a request with this hash key, without touching any loop's
     * balancer: a throwaway balancer reads the shared state (health, passive ejections, in-flight counts,
     * slow start). Round-robin rotates per loop, so for it this is the server a fresh rotation starts with.
     * Returns a server index or one of the {@link Balancer} constants.
     */
    public int preview(CharSequence key) {
        return create(new java.util.SplittableRandom()).pick(0L, key);
    }

    private Balancer create(RandomGenerator random) {
        return switch (config.balancing().algorithm()) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin(this, random);
            case LEAST_CONN -> new LeastConnections(this, random);
            case P2C -> new PowerOfTwoChoices(this, random);
            case RANDOM -> new RandomChoice(this, random);
            case HASH -> new ConsistentHash(this, random, ring);
        };
    }

    /** Whether {@code server} has {@code max-connections} requests in flight. */
    boolean saturated(int server) {
        return maxConnections > 0 && states.inFlight(server) >= maxConnections;
    }

    /** Takes a place in the group's queue; false when it is full. */
    boolean enqueue() {
        if (queued.incrementAndGet() <= queueSize) {
            return true;
        }
        queued.decrementAndGet();
        return false;
    }

    void dequeued() {
        queued.decrementAndGet();
    }

    /**
     * A request ended and freed a slot: the longest-waiting request of the loop that freed it goes next,
     * or, when that loop has none waiting, one of another loop's. A woken request picks again and, if
     * another took the slot meanwhile, queues again at the end.
     */
    void slotFreed(Balancer freedBy) {
        if (queued.get() == 0) {
            return;
        }
        if (freedBy.hasWaiting()) {
            freedBy.wakeOneOnItsLoop();
            return;
        }
        for (Balancer balancer : balancers) {
            if (balancer.hasWaiting()) {
                balancer.wakeOneOnItsLoop();
                return;
            }
        }
    }

    RetryBudget retryBudget() {
        return retryBudget;
    }

    int[] weights() {
        return weights;
    }

    long primaries() {
        return primaries;
    }

    long backups() {
        return backups;
    }
}
