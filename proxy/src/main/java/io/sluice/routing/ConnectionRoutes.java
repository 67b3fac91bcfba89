package io.sluice.routing;

import java.util.function.Supplier;

/**
 * What serves one client connection's listen address under the routing snapshot current at each request.
 * One per connection: the streams of an HTTP/2 connection share it, so a stream's dispatcher neither takes a
 * snapshot of its own when the stream opens nor looks its listen address up again while the snapshot is
 * unchanged. Used on the connection's event loop only.
 */
public final class ConnectionRoutes {
    private final Supplier<Router> router;
    private final String listenAddress;
    /** The snapshot current when the connection opened: serves it if a reload removes its listen address. */
    private final Router connectionRouter;
    /** The snapshot last taken from {@link #router}, and what serves this listen address under it. */
    private Router seenRouter;
    private Router servingRouter;
    private VirtualHosts servingHosts;

    public ConnectionRoutes(Supplier<Router> router, String listenAddress) {
        this.router = router;
        this.listenAddress = listenAddress;
        this.connectionRouter = router.get();
    }

    /**
     * The current routing snapshot, or the connection's own when a reload removed this listen address; its
     * virtual hosts for the address are then {@link #hosts}. Looked up once per snapshot, not per request.
     */
    Router snapshot() {
        Router snapshot = router.get();
        if (snapshot != seenRouter) {
            VirtualHosts hosts = snapshot.forAddress(listenAddress);
            seenRouter = snapshot;
            servingRouter = hosts != null ? snapshot : connectionRouter;
            servingHosts = hosts != null ? hosts : connectionRouter.forAddress(listenAddress);
        }
        return servingRouter;
    }

    /** The virtual hosts of this listen address under the snapshot {@link #snapshot} returned last. */
    VirtualHosts hosts() {
        return servingHosts;
    }
}
