package io.sluice.upstream;

import io.netty.resolver.AbstractAddressResolver;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * The connect-time resolver of upstream groups: an address that is already resolved (an IP literal, or
 * an address DNS gave for a host name) connects as it is, and only an unresolved host name reaches Netty's
 * DNS resolver, which is made when a group with a host name is built ({@link #prepare}). A bootstrap asks its resolver group for the
 * connecting loop's resolver on every connect, resolved address or not; handing it Netty's DNS group
 * directly would build a DNS resolver per loop (a UDP channel, {@code /etc/resolv.conf} read, some 90
 * classes loaded on the first request) for configurations whose upstreams are all IP literals.
 */
final class OnDemandDnsResolvers extends AddressResolverGroup<InetSocketAddress> {
    private final Supplier<AddressResolverGroup<InetSocketAddress>> newDns;
    private volatile AddressResolverGroup<InetSocketAddress> dns;
    private boolean closed;

    /** {@code newDns} makes the DNS resolver group; it is called at most once, on the first look-up. */
    OnDemandDnsResolvers(Supplier<AddressResolverGroup<InetSocketAddress>> newDns) {
        this.newDns = newDns;
    }

    @Override
    protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new OnDemandResolver(executor);
    }

    /**
     * Makes the DNS resolver group now, for a group that has host names: called where groups are built (at
     * the start, or a reload off the loops), so that reading the system's name servers and loading the
     * resolver's classes do not fall to the first look-up on an event loop.
     */
    void prepare() {
        made();
    }

    /** The DNS resolvers of {@code executor}'s loop. */
    private AddressResolver<InetSocketAddress> dns(EventExecutor executor) {
        AddressResolverGroup<InetSocketAddress> group = dns;
        return (group != null ? group : made()).getResolver(executor);
    }

    /** The DNS resolver group, made on the first call; later callers read the volatile field only. */
    private AddressResolverGroup<InetSocketAddress> made() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the upstream resolvers are closed");
            }
            if (dns == null) {
                dns = newDns.get();
            }
            return dns;
        }
    }

    @Override
    public void close() {
        super.close();
        synchronized (this) {
            closed = true;
            if (dns != null) {
                dns.close();
            }
        }
    }

    /** One loop's resolver: passes resolved addresses through, asks the loop's DNS resolver for the rest. */
    private final class OnDemandResolver extends AbstractAddressResolver<InetSocketAddress> {
        OnDemandResolver(EventExecutor executor) {
            super(executor, InetSocketAddress.class);
        }

        @Override
        protected boolean doIsResolved(InetSocketAddress address) {
            return !address.isUnresolved();
        }

        @Override
        protected void doResolve(InetSocketAddress unresolved, Promise<InetSocketAddress> promise) {
            dns(executor()).resolve(unresolved, promise);
        }

        @Override
        protected void doResolveAll(InetSocketAddress unresolved, Promise<List<InetSocketAddress>> promise) {
            dns(executor()).resolveAll(unresolved, promise);
        }
    }
}
