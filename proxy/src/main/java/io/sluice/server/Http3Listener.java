package io.sluice.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.quic.QuicCodecDispatcher;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.util.concurrent.EventExecutor;
import io.sluice.config.Http3Config;
import io.sluice.config.ListenConfig;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The UDP sockets of one {@code http3 = true} listen address and the QUIC connections they carry.
 *
 * <p>On epoll and io_uring every worker loop binds its own socket with {@code SO_REUSEPORT}, as the TCP
 * listeners do. The kernel spreads datagrams over the sockets by address and port, but a QUIC connection
 * is named by its connection id and may change address (NAT rebinding, migration), so a
 * {@link QuicCodecDispatcher} shared by the sockets encodes the socket's index into the connection ids we
 * issue and hands each datagram to the socket, and so the loop, that owns its connection. A connection, its
 * streams and their upstream connections then stay on one loop. On NIO one socket serves all connections.
 */
final class Http3Listener {
    private final ListenConfig config;
    private final ChannelGroup connections;
    private List<Channel> channels = List.of();
    private int port;
    /** The TLS context new connections' handshakes use; replaced when the certificates are read again. */
    private volatile QuicSslContext ssl;
    private volatile boolean accepting = true;

    /** {@code connections}: the group the connection handler adds this listener's QUIC connections to. */
    Http3Listener(ListenConfig config, ChannelGroup connections) {
        this.config = config;
        this.connections = connections;
    }

    /** Binds the sockets; {@code perConnection} initialises each new QUIC connection. Called once. */
    void bind(QuicSslContext initialSsl, Http3Config limits, Transports transports,
              MultiThreadIoEventLoopGroup workers, ChannelHandler perConnection) throws InterruptedException {
        ssl = initialSsl;
        QuicCodecDispatcher dispatcher = new QuicCodecDispatcher() {
            @Override
            protected void initChannel(Channel channel, int localConnectionIdLength,
                                       QuicConnectionIdGenerator idGenerator) {
                channel.pipeline().addLast(Http3.newQuicServerCodecBuilder()
                        // established connections keep the engine, and so the certificate, they started with
                        .sslEngineProvider(connection -> ssl.newEngine(connection.alloc()))
                        .localConnectionIdLength(localConnectionIdLength)
                        .connectionIdAddressGenerator(idGenerator)
                        .maxIdleTimeout(limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .initialMaxData(limits.maxData())
                        .initialMaxStreamDataBidirectionalRemote(limits.maxStreamData())
                        .initialMaxStreamDataBidirectionalLocal(limits.maxStreamData())
                        .initialMaxStreamsBidirectional(limits.maxConcurrentStreams())
                        .handler(perConnection)
                        .build());
            }
        };
        List<EventLoop> loops = new ArrayList<>();
        if (transports.reusePort()) {
            for (EventExecutor executor : workers) {
                loops.add((EventLoop) executor);
            }
        } else {
            loops.add(workers.next());
        }
        List<Channel> bound = new ArrayList<>();
        int boundPort = config.address().port();
        try {
            for (EventLoop loop : loops) {
                Bootstrap bootstrap = new Bootstrap()
                        .group(loop)
                        .channel(transports.datagramChannelClass())
                        .handler(dispatcher);
                if (transports.reusePort()) {
                    bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
                }
                Channel channel = bootstrap.bind(config.address().host(), boundPort).sync().channel();
                bound.add(channel);
                // port 0 asks for any free port: the first socket picks it, the others share it
                boundPort = ((InetSocketAddress) channel.localAddress()).getPort();
            }
        } catch (RuntimeException | InterruptedException e) {
            bound.forEach(channel -> channel.close().awaitUninterruptibly());
            throw e;
        }
        channels = List.copyOf(bound);
        port = boundPort;
    }

    /** New handshakes use {@code next} from now on. */
    void replaceCertificates(QuicSslContext next) {
        ssl = next;
    }

    ListenConfig config() {
        return config;
    }

    int port() {
        return port;
    }

    int socketCount() {
        return channels.size();
    }

    ChannelGroup connections() {
        return connections;
    }

    /** False once the listener stopped taking connections: a new one is closed at once. */
    boolean accepting() {
        return accepting;
    }

    /**
     * New connections are closed from now on. The sockets stay open: the connections already made send
     * and receive through them until they have drained.
     */
    void stopAccepting() {
        accepting = false;
    }

    void close() {
        accepting = false;
        for (Channel channel : channels) {
            channel.close().awaitUninterruptibly();
        }
    }
}
