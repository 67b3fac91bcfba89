package io.sluice.staticfiles;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.http.LoopClock;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.routing.ExchangeRecorders;
import io.sluice.routing.HandlerFactory;
import io.sluice.routing.DispatchingHandler;
import io.sluice.routing.Router;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path for connections that cannot take a FileRegion (TLS, HTTP/2 streams), over a real socket: the
 * dispatcher is told the connection is secure, as a TLS listener's is, so the static handler sends the
 * file as buffers read piece by piece, paced by the socket's writability.
 */
class ChunkedFileSenderTest {
    @TempDir
    Path site;
    private MultiThreadIoEventLoopGroup group;
    private BlockingPool pool;
    private AccessLogWriter accessLog;
    private int port;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(site.resolve("public"));
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public" } }
                  ] } ]
                }""", site);
        String listenAddress = config.servers().get(0).listen().get(0).address().toString();
        pool = new BlockingPool(config.blockingPool());
        accessLog = new AccessLogWriter();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        SluiceMetrics metrics = new SluiceMetrics();
        HandlerFactory handlers = new HandlerFactory(pool, group, NioSocketChannel.class, NioDatagramChannel.class, metrics);
        Router router = Router.compile(config, location -> handlers.create(location, config),
                new ExchangeRecorders(metrics, accessLog));
        LoopClock.PerLoop clocks = new LoopClock.PerLoop();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new ConnectionTimeouts(config.limits(), clocks.of(channel.eventLoop())),
                                HttpCodecs.serverCodec(config.limits()), new FlowControlHandler(),
                                new DispatchingHandler(() -> router, listenAddress, true));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        pool.close();
        accessLog.close();
    }

    @Test
    void sendsWholeFilesRangesAndMultipartAsBuffers() throws Exception {
        Path file = Downloads.writeRandom(site.resolve("public/big.bin"), 3 * 1024 * 1024 + 7, 11);
        Files.writeString(site.resolve("public/small.txt"), "small body");
        byte[] content = Files.readAllBytes(file);
        try (Downloads.Client client = new Downloads.Client(port)) {
            Downloads.Hashed whole = client.get("/big.bin");
            assertEquals(200, whole.status());
            assertEquals(Downloads.sha256(file), whole.sha256());
            assertEquals(Downloads.sha256("small body".getBytes(StandardCharsets.US_ASCII)), client.get("/small.txt").sha256());
        }
        try (RawHttp http = new RawHttp(port)) {
            RawHttp.Response range = http.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-1199999\r\n\r\n").readResponse();
            assertEquals(206, range.status());
            assertArrayEquals(Arrays.copyOfRange(content, 100000, 1200000), range.body());
            RawHttp.Response multipart = http.send("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,-2\r\n\r\n").readResponse();
            assertEquals(206, multipart.status());
            String body = new String(multipart.body(), StandardCharsets.ISO_8859_1);
            assertTrue(body.contains("Content-Range: bytes 0-1/" + content.length + "\r\n\r\n"
                    + new String(content, 0, 2, StandardCharsets.ISO_8859_1) + "\r\n--"), body);
            assertTrue(body.contains("Content-Range: bytes " + (content.length - 2) + "-" + (content.length - 1) + "/"
                    + content.length + "\r\n\r\n" + new String(content, content.length - 2, 2, StandardCharsets.ISO_8859_1)
                    + "\r\n--"), body);
            assertEquals(200, http.send("GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n").readResponse().status());
        }
    }

    @Test
    void aFileTruncatedWhileBeingSentClosesTheConnection() throws Exception {
        Path file = Downloads.writeRandom(site.resolve("public/big.bin"), 32L << 20, 12);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(32 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            long received = in.read(buffer);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(1 << 20);
            }
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received += n;
            }
            assertTrue(received < (32L << 20), "closed before the promised length: " + received);
        }
        try (Downloads.Client client = new Downloads.Client(port)) {
            Downloads.Hashed again = client.get("/big.bin");
            assertEquals(1 << 20, again.bodyLength(), "the file is looked up again after the short send");
            assertEquals(Downloads.sha256(file), again.sha256());
        }
    }
}
