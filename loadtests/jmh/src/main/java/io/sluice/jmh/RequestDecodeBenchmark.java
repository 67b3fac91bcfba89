package io.sluice.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LimitsConfig;
import io.sluice.http.HttpCodecs;
import io.sluice.http.RequestValidator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One request head through the client connection's HTTP/1.1 codec (as a direct buffer, as the socket
 * delivers it) and the validator, and an empty 204 back through the encoder, as every keep-alive request
 * goes: the codec's cost per request, comparable between two builds' jars (the encoder is the same in both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestDecodeBenchmark {
    private static final String LOAD_GENERATOR = "GET /small.html HTTP/1.1\r\nHost: 127.0.0.1:28083\r\n\r\n";
    private static final String BROWSER = "GET /api/v1/customers/4711/orders?page=2 HTTP/1.1\r\n"
            + "Host: shop.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
            + "Connection: keep-alive\r\n"
            + "Cookie: session=8f2d1c0a9b7e4f6a; theme=dark\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "Sec-Fetch-Dest: document\r\n"
            + "Sec-Fetch-Mode: navigate\r\n"
            + "Priority: u=0, i\r\n\r\n";

    @Param({"load-generator", "browser"})
    public String request;

    private EmbeddedChannel channel;
    private byte[] bytes;

    @Setup
    public void setUp() {
        LimitsConfig limits = ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], "
                + "locations = [ { match = \"/\", return { } } ] } ] }", Path.of(".")).limits();
        channel = new EmbeddedChannel(HttpCodecs.serverCodec(limits));
        bytes = ("browser".equals(request) ? BROWSER : LOAD_GENERATOR).getBytes(StandardCharsets.US_ASCII);
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public Object decode() {
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
        in.writeBytes(bytes);
        channel.writeInbound(in);
        Object verdict = null;
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            if (msg instanceof HttpRequest head) {
                verdict = RequestValidator.check(head);
            }
            ReferenceCountUtil.release(msg);
        }
        // the codec remembers each request's method until its response leaves: answer, the same in both builds
        channel.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT));
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        return verdict;
    }
}
