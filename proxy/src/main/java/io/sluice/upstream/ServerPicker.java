package io.sluice.upstream;

import io.netty.resolver.AddressResolverGroup;
import io.sluice.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.concurrent.Executor;

/**
 * Chooses the server for each attempt of a request, as index into the group's current server set (the
 * configured servers with host names expanded to their resolved addresses), and hears
 * how the attempts go (load, health, retry budget); one instance per event loop and upstream group,
 * called only on that loop. The balancing algorithms live in package {@code balance}, which this layer
 * cannot see: the server wiring hands them in through {@link Factory}.
 */
public interface ServerPicker {
    /** Every server has been tried by this request. */
    int NONE_LEFT = -1;
    /** Servers remain untried, but every one of them is out of service; or the group has no server now. */
    int NONE_AVAILABLE = -2;
    /** Every server that could take the request has {@code max-connections} requests in flight. */
    int SATURATED = -3;

    /**
     * The next server, skipping those whose bit is set in {@code tried} (bit {@code i} = server {@code i});
     * {@code key} is the request's hash key, null when the group does not hash or the request has none.
     * {@link #NONE_LEFT}, {@link #NONE_AVAILABLE} or {@link #SATURATED} when there is no server to try.
     */
    int pick(long tried, CharSequence key);

    /**
     * Queues a request that got {@link #SATURATED}: {@code wake} runs on {@code loop} once a slot frees;
     * false when the group's queue is full.
     */
    boolean await(Runnable wake, Executor loop);

    /** Takes a queued request back; false when {@code wake} already ran or is about to. */
    boolean cancelWait(Runnable wake);

    /** An attempt goes to {@code server}; {@code retry} when it is not the request's first. */
    void attemptStarted(int server, boolean retry);

    /** The attempt on {@code server} is over: response complete, failed or abandoned. */
    void attemptEnded(int server);

    /** {@code server} answered, or failed to (connect error, reset, timeout, 5xx where configured). */
    void report(int server, boolean failed);

    /** Takes one retry from the group's budget; false when it is spent. */
    boolean tryRetry();

    /** Makes the balancing of each upstream group. */
    @FunctionalInterface
    interface Factory {
        /**
         * {@code resolver} is the group's resolver for host names not resolved yet (its configured name
         * servers), for whatever the balancing connects to itself (health checks).
         */
        Group forGroup(UpstreamConfig upstream, AddressResolverGroup<InetSocketAddress> resolver);
    }

    /** One group's balancing, for each of its server sets in turn; closed when the group is replaced. */
    interface Group extends AutoCloseable {
        /**
         * The balancing of the group's server set {@code servers} (the group's configuration with its servers
         * as they are now), which replaces the previous set: servers in both keep their health and load.
         */
        Pickers balance(UpstreamConfig servers);

        @Override
        void close();
    }

    /** The pickers of one server set: one per event loop, numbering servers as the set lists them. */
    @FunctionalInterface
    interface Pickers {
        ServerPicker newPicker();
    }
}
