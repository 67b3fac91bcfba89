package io.sluice.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small authoritative DNS server on loopback UDP for tests, built on Netty's DNS codec: it answers A
 * queries from a map the test changes as it goes ({@link #answer}), with {@link #ttlSeconds}; a known name
 * has no AAAA record (an empty NOERROR answer) and an unknown name is NXDOMAIN. {@link #servFail} makes it
 * answer every query with SERVFAIL, as a broken name server would.
 */
public final class TestDnsServer implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, List<String>> records = new ConcurrentHashMap<>();
    private final Channel channel;
    /** The TTL of every answer. */
    public volatile int ttlSeconds = 1;
    /** When set, every query is answered SERVFAIL. */
    public volatile boolean servFail;
    /** Queries received so far, of any type and whatever the answer. */
    public final AtomicInteger queries = new AtomicInteger();

    public TestDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel channel) {
                        channel.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Answerer());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** From now on {@code name} resolves to {@code ipv4Addresses}; an empty list is a name without address. */
    public void answer(String name, String... ipv4Addresses) {
        records.put(name.toLowerCase(Locale.ROOT), List.of(ipv4Addresses));
    }

    /** From now on {@code name} does not exist (NXDOMAIN). */
    public void forget(String name) {
        records.remove(name.toLowerCase(Locale.ROOT));
    }

    /** {@code 127.0.0.1:port}, as a {@code resolver { servers }} entry. */
    public String address() {
        return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Answerer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            queries.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setAuthoritativeAnswer(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            String name = question.name().toLowerCase(Locale.ROOT);
            List<String> addresses = records.get(name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
            if (servFail) {
                response.setCode(DnsResponseCode.SERVFAIL);
            } else if (addresses == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else if (question.type() == DnsRecordType.A) {
                for (String address : addresses) {
                    response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), DnsRecordType.A,
                            ttlSeconds, Unpooled.wrappedBuffer(NetUtil.createByteArrayFromIpAddressString(address))));
                }
            }
            ctx.writeAndFlush(response);
        }
    }
}
