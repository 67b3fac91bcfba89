package io.sluice.routing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.sluice.balance.Balancer;
import io.sluice.balance.GroupBalance;
import io.sluice.balance.ServerView;
import io.sluice.config.UpstreamConfig;
import io.sluice.health.HealthChecker;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.metrics.UpstreamMetrics;
import io.sluice.upstream.ServerPicker;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Joins the three layer-5 packages that may not see each other: the proxy's {@link ServerPicker} is served
 * by a {@code balance} {@link Balancer}, and {@code health} check verdicts reach the balancer's shared
 * server states and the upstream metrics (which {@code /readyz} and the status page read).
 */
final class GroupBalancing implements ServerPicker.Factory {
    private final EventLoopGroup loops;
    private final Class<? extends SocketChannel> channelClass;
    private final SluiceMetrics metrics;
    private final Map<String, GroupBalance> current = new ConcurrentHashMap<>();

    GroupBalancing(EventLoopGroup loops, Class<? extends SocketChannel> channelClass, SluiceMetrics metrics) {
        this.loops = loops;
        this.channelClass = channelClass;
        this.metrics = metrics;
    }

    @Override
    public ServerPicker.Group forGroup(UpstreamConfig upstream, AddressResolverGroup<InetSocketAddress> resolver) {
        AtomicReference<GroupBalance> balance = new AtomicReference<>();
        HealthChecker checker = null;
        if (upstream.balancing().healthCheck() != null) {
            checker = new HealthChecker(upstream, loops, channelClass, resolver, (server, healthy) -> {
                balance.get().states().checked(server.name(), healthy);
                metrics.upstream(upstream.name(), server.name())
                        .health(healthy ? UpstreamMetrics.Health.UP : UpstreamMetrics.Health.DOWN);
            });
        }
        HealthChecker running = checker;
        // synchronized: a DNS answer for a group being replaced may arrive while it closes, and must not
        // put the old group's balancing back in place of its successor's
        return new ServerPicker.Group() {
            private boolean closed;

            @Override
            public synchronized ServerPicker.Pickers balance(UpstreamConfig servers) {
                GroupBalance next = new GroupBalance(servers, balance.get());
                balance.set(next);
                if (!closed) {
                    current.put(upstream.name(), next);
                    if (running != null) {
                        running.check(servers.servers());
                    }
                }
                return () -> new Picker(next.newBalancer(new SplittableRandom()));
            }

            @Override
            public synchronized void close() {
                closed = true;
                current.remove(upstream.name(), balance.get());
                if (running != null) {
                    running.close();
                }
            }
        };
    }

    /**
     * The server the balancer of {@code upstream} would pick now for a request with this hash key (see
     * {@link GroupBalance#preview}), by name, or a sentence saying why none would be.
     */
    String preview(String upstream, CharSequence key) {
        GroupBalance balance = current.get(upstream);
        if (balance == null) {
            return "upstream " + upstream + " has not served yet";
        }
        int server = balance.preview(key);
        return switch (server) {
            case Balancer.NONE_AVAILABLE -> "none: every server is out of service, or none resolved (503)";
            case Balancer.SATURATED -> "none now: every server is at max-connections (queued, or 503)";
            case Balancer.NONE_LEFT -> "none: the upstream has no servers";
            default -> balance.states().name(server);
        };
    }

    /** Drains (or puts back) {@code server} of {@code upstream}; false when no group in use has it. */
    boolean drain(String upstream, String server, boolean drained) {
        GroupBalance balance = current.get(upstream);
        return balance != null && balance.states().drain(server, drained);
    }

    /** Every upstream group in use, by name, with what its balancer sees of each server. */
    Map<String, List<ServerView>> view() {
        Map<String, List<ServerView>> view = new TreeMap<>();
        current.forEach((name, balance) -> view.put(name, balance.states().view()));
        return view;
    }

    private record Picker(Balancer balancer) implements ServerPicker {
        @Override
        public int pick(long tried, CharSequence key) {
            int server = balancer.pick(tried, key);
            return switch (server) {
                case Balancer.NONE_LEFT -> NONE_LEFT;
                case Balancer.NONE_AVAILABLE -> NONE_AVAILABLE;
                case Balancer.SATURATED -> SATURATED;
                default -> server;
            };
        }

        @Override
        public boolean await(Runnable wake, Executor loop) {
            return balancer.await(wake, loop);
        }

        @Override
        public boolean cancelWait(Runnable wake) {
            return balancer.cancelWait(wake);
        }

        @Override
        public void attemptStarted(int server, boolean retry) {
            balancer.attemptStarted(server, retry);
        }

        @Override
        public void attemptEnded(int server) {
            balancer.attemptEnded(server);
        }

        @Override
        public void report(int server, boolean failed) {
            balancer.report(server, failed);
        }

        @Override
        public boolean tryRetry() {
            return balancer.tryRetry();
        }
    }
}
