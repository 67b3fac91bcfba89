package io.sluice.upstream;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import io.sluice.testing.TestDnsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connect-time resolution: resolved addresses never make a DNS resolver; a host name is asked of the DNS
 * resolver (made when its group is built, or at the latest on the first look-up, and kept), which answers
 * on the connecting loop without blocking it.
 */
class OnDemandDnsResolversTest {
    private final MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final AtomicInteger made = new AtomicInteger();

    @AfterEach
    void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private OnDemandDnsResolvers resolvers(TestDnsServer dns) {
        InetSocketAddress server = new InetSocketAddress("127.0.0.1",
                Integer.parseInt(dns.address().substring(dns.address().indexOf(':') + 1)));
        return new OnDemandDnsResolvers(() -> {
            made.incrementAndGet();
            return new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(NioDatagramChannel.class)
                    .nameServerProvider(new SequentialDnsServerAddressStreamProvider(server)));
        });
    }

    @Test
    void aResolvedAddressPassesThroughWithoutADnsResolver() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); OnDemandDnsResolvers resolvers = resolvers(dns)) {
            InetSocketAddress literal = new InetSocketAddress("127.0.0.1", 8080);
            for (EventLoop loop : new EventLoop[] {loops.next(), loops.next()}) {
                assertTrue(resolvers.getResolver(loop).isResolved(literal));
                assertSame(literal, resolvers.getResolver(loop).resolve(literal).get(5, TimeUnit.SECONDS));
            }
            assertEquals(0, made.get(), "no DNS resolver was made");
            assertEquals(0, dns.queries.get());
        }
    }

    @Test
    void aHostNameIsLookedUpAsynchronouslyOnTheConnectingLoop() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); OnDemandDnsResolvers resolvers = resolvers(dns)) {
            dns.answer("app.test", "127.0.0.2");
            EventLoop first = loops.next();
            CompletableFuture<Boolean> answeredOnLoop = new CompletableFuture<>();
            InetSocketAddress address = resolveOn(first, resolvers, answeredOnLoop).get(10, TimeUnit.SECONDS);
            assertEquals("127.0.0.2", address.getAddress().getHostAddress());
            assertEquals(9000, address.getPort());
            assertTrue(answeredOnLoop.get(10, TimeUnit.SECONDS), "the answer arrives later, on the connecting loop");
            assertTrue(dns.queries.get() > 0, "Netty's resolver asked the name server");

            // another loop gets a resolver of its own from the same group (which shares its cache)
            InetSocketAddress again = resolveOn(loops.next(), resolvers, new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
            assertEquals(address, again);
            assertEquals(1, made.get(), "one DNS resolver group, made on the first look-up");
        }
    }

    @Test
    void aGroupWithHostNamesHasItsResolverMadeBeforeAnyLookUp() throws Exception {
        try (TestDnsServer dns = new TestDnsServer(); OnDemandDnsResolvers resolvers = resolvers(dns)) {
            dns.answer("app.test", "127.0.0.3");
            resolvers.prepare();
            resolvers.prepare();
            assertEquals(1, made.get(), "made once, by the thread that builds the group, not by a loop");
            assertEquals("127.0.0.3", resolveOn(loops.next(), resolvers, new CompletableFuture<>())
                    .get(10, TimeUnit.SECONDS).getAddress().getHostAddress());
            assertEquals(1, made.get(), "the look-up uses the group made before it");
        }
    }

    /**
     * Starts the look-up from inside {@code loop}, as a bootstrap's connect does, and notes where it
     * completes (false when it was complete before the loop could read a name server's answer).
     */
    private static Future<InetSocketAddress> resolveOn(EventLoop loop, OnDemandDnsResolvers resolvers,
                                                       CompletableFuture<Boolean> answeredOnLoop) throws Exception {
        CompletableFuture<Future<InetSocketAddress>> started = new CompletableFuture<>();
        loop.execute(() -> {
            Future<InetSocketAddress> future = resolvers.getResolver(loop)
                    .resolve(InetSocketAddress.createUnresolved("app.test", 9000));
            if (future.isDone()) {
                // an answer while the loop is still busy with this task came from no name server
                answeredOnLoop.complete(false);
            }
            future.addListener(done -> answeredOnLoop.complete(loop.inEventLoop()));
            started.complete(future);
        });
        return started.get(10, TimeUnit.SECONDS);
    }
}
