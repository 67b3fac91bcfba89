package io.sluice.upstream;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A real gRPC client and server (grpc-java) with Sluice between them: the client speaks h2c with prior
 * knowledge to Sluice, Sluice speaks {@code protocol = h2c} to the server. Unary calls, a status in
 * trailers-only responses, server streaming and a bidirectional stream, with a byte-array codec so no
 * generated code is needed.
 */
class GrpcProxyIT {
    /** Request and response messages as raw bytes: no generated code. */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    private static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo", MethodDescriptor.MethodType.UNARY);
    private static final MethodDescriptor<byte[], byte[]> COUNT = method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);
    private static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);

    static Server server;
    static RunningSluice sluice;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    if (text(request).equals("missing")) {
                        response.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException());
                        return;
                    }
                    response.onNext(request);
                    response.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((request, response) -> {
                    int count = Integer.parseInt(text(request));
                    for (int i = 0; i < count; i++) {
                        response.onNext(bytes("item " + i));
                    }
                    response.onCompleted();
                }))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall((StreamObserver<byte[]> response) -> new StreamObserver<byte[]>() {
                    @Override
                    public void onNext(byte[] message) {
                        response.onNext(bytes("re: " + text(message)));
                    }

                    @Override
                    public void onError(Throwable t) {
                        response.onError(t);
                    }

                    @Override
                    public void onCompleted() {
                        response.onCompleted();
                    }
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        sluice = RunningSluice.start("""
                sluice {
                  workers = 2
                  upstreams { grpc { protocol = h2c, servers = [ { address = "127.0.0.1:%d" } ] } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/test.Echo/", proxy { upstream = grpc } }
                  ] } ]
                }""".formatted(server.getPort()));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", sluice.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        sluice.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void unaryCallsGoThroughWithLargeMessages() {
        assertEquals("hello", text(ClientCalls.blockingUnaryCall(channel, ECHO, options(), bytes("hello"))));
        byte[] large = new byte[1_000_000];
        new Random(1).nextBytes(large);
        assertArrayEquals(large, ClientCalls.blockingUnaryCall(channel, ECHO, options(), large));
    }

    @Test
    void statusAndMessageReachTheClient() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> ClientCalls.blockingUnaryCall(channel, ECHO, options(), bytes("missing")));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals("no such thing", e.getStatus().getDescription());
    }

    @Test
    void serverStreamingDeliversEveryMessageInOrder() {
        Iterator<byte[]> items = ClientCalls.blockingServerStreamingCall(channel, COUNT, options(), bytes("500"));
        List<String> received = new ArrayList<>();
        items.forEachRemaining(item -> received.add(text(item)));
        assertEquals(500, received.size());
        for (int i = 0; i < 500; i++) {
            assertEquals("item " + i, received.get(i));
        }
    }

    @Test
    void bidirectionalStreamAnswersEachMessageWhileTheCallIsOpen() throws Exception {
        BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        CompletableFuture<Void> completed = new CompletableFuture<>();
        StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(CHAT, options()),
                new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] reply) {
                        replies.add(text(reply));
                    }

                    @Override
                    public void onError(Throwable t) {
                        completed.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        completed.complete(null);
                    }
                });
        for (int i = 0; i < 20; i++) {
            requests.onNext(bytes("message " + i));
            assertEquals("re: message " + i, replies.poll(10, TimeUnit.SECONDS));
        }
        requests.onCompleted();
        completed.get(10, TimeUnit.SECONDS);
    }

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
