package io.sluice.upstream;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart behind Sluice: two grpc-java servers ({@code protocol = h2c}), each in turn shut down
 * gracefully (grpc-java sends a GOAWAY with the last possible stream id, then after a PING round trip a
 * second one with the real last stream, and lets the calls in flight finish) and started again on the same
 * port, while clients keep unary calls with request bodies going through Sluice. No call may fail.
 */
class GrpcRollingRestartIT {
    private static final int CLIENTS = 8;
    private static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", "Echo"))
            .setRequestMarshaller(GrpcProxyIT.BYTES).setResponseMarshaller(GrpcProxyIT.BYTES).build();

    /** An echo that takes a few milliseconds, so that calls are in flight whenever a server shuts down. */
    private static Server startServer(int port) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)).addService(service).build().start();
    }

    /** Shuts {@code server} down gracefully and starts a new one on its port. */
    private static Server restart(Server server) throws Exception {
        int port = server.getPort();
        server.shutdown();
        assertTrue(server.awaitTermination(10, TimeUnit.SECONDS), "the calls in flight finished");
        return startServer(port);
    }

    private static void awaitCalls(AtomicInteger calls, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (calls.get() < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(calls.get() >= count, "calls made: " + calls);
    }

    @Test
    void rollingRestartOfTwoServersFailsNoCall() throws Exception {
        Server[] servers = {startServer(0), startServer(0)};
        // fail-timeout: a restarted server is taken back soon after its downtime made it fail
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  upstreams { grpc { protocol = h2c, retries = 1, servers = [ { address = "127.0.0.1:%d" },
                    { address = "127.0.0.1:%d" } ], passive-health { fail-timeout = 1s } } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/test.Echo/", proxy { upstream = grpc } }
                  ] } ]
                }""".formatted(servers[0].getPort(), servers[1].getPort()))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", sluice.port()).usePlaintext().build();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger calls = new AtomicInteger();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            try {
                List<Future<?>> loops = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    loops.add(clients.submit(() -> {
                        Random random = new Random(client);
                        while (running.get()) {
                            byte[] message = new byte[100 + random.nextInt(4000)];
                            random.nextBytes(message);
                            try {
                                byte[] echoed = ClientCalls.blockingUnaryCall(channel, ECHO,
                                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), message);
                                if (!Arrays.equals(message, echoed)) {
                                    failures.add("echo differs from the request");
                                }
                            } catch (RuntimeException e) {
                                failures.add(e.toString());
                            }
                            calls.incrementAndGet();
                        }
                    }));
                }
                // calls flow (a fresh JVM on a loaded machine takes seconds to the first answers) before the restarts
                awaitCalls(calls, 50);
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < servers.length; i++) {
                        servers[i] = restart(servers[i]);
                        // the restarted server is back in service (fail-timeout) before the next one goes
                        Thread.sleep(1500);
                        awaitCalls(calls, calls.get() + 50);
                    }
                }
                running.set(false);
                for (Future<?> loop : loops) {
                    loop.get(20, TimeUnit.SECONDS);
                }
            } finally {
                running.set(false);
                clients.shutdownNow();
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                for (Server server : servers) {
                    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
            assertEquals(List.of(), List.copyOf(failures), failures.size() + " of " + calls + " calls failed");
        }
    }
}
