package io.sluice.upstream;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.config.UpstreamConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps a group's servers in step with DNS. Every configured server whose address names a host is looked
 * up with Netty's asynchronous resolver (A and, where the system uses IPv6, AAAA records; search domains
 * and /etc/hosts apply), and again when the answer's shortest TTL runs out, at most {@code
 * resolve-interval} and at least {@value #MIN_INTERVAL_SECONDS}s later. Each address becomes one server
 * with the configured server's weight, backup flag and TLS; when the addresses of any host change, the
 * whole server set is handed to {@code install}. Until its first answer a host counts as one server
 * resolved per connection. A failed look-up (timeout, SERVFAIL) keeps the last known addresses and is
 * logged once until the host resolves again; an answer that the name does not exist or has no address
 * (NXDOMAIN, no records) is an answer: the host then contributes no server. Runs on one event loop.
 */
final class HostResolution {
    private static final Logger log = LoggerFactory.getLogger(HostResolution.class);
    static final int MIN_INTERVAL_SECONDS = 1;

    private final UpstreamConfig config;
    private final EventLoop loop;
    private final DnsNameResolverBuilder builder;
    private final Consumer<List<UpstreamConfig.Server>> install;
    private final List<Host> hosts = new ArrayList<>();
    private final long maxIntervalMillis;
    private DnsNameResolver resolver;
    private List<DnsRecordType> types;
    private boolean stopped;

    HostResolution(UpstreamConfig config, EventLoop loop, DnsNameResolverBuilder builder,
                   Consumer<List<UpstreamConfig.Server>> install) {
        this.config = config;
        this.loop = loop;
        this.builder = builder.eventLoop(loop);
        this.install = install;
        this.maxIntervalMillis = Math.max(MIN_INTERVAL_SECONDS * 1000L, config.dns().resolveInterval().toMillis());
        for (UpstreamConfig.Server server : config.servers()) {
            if (needsResolution(server)) {
                hosts.add(new Host(server));
            }
        }
    }

    /** Whether {@code server} names a host rather than an IP address. */
    static boolean needsResolution(UpstreamConfig.Server server) {
        return NetUtil.createByteArrayFromIpAddressString(server.address().host()) == null;
    }

    void start() {
        loop.execute(() -> {
            if (stopped) {
                return;
            }
            resolver = builder.build();
            ResolvedAddressTypes addressTypes = resolver.resolvedAddressTypes();
            types = switch (addressTypes) {
                case IPV4_ONLY -> List.of(DnsRecordType.A);
                case IPV6_ONLY -> List.of(DnsRecordType.AAAA);
                default -> List.of(DnsRecordType.A, DnsRecordType.AAAA);
            };
            for (Host host : hosts) {
                host.lookUp();
            }
        });
    }

    void stop() {
        loop.execute(() -> {
            stopped = true;
            for (Host host : hosts) {
                if (host.next != null) {
                    host.next.cancel(false);
                }
            }
            if (resolver != null) {
                resolver.close();
            }
        });
    }

    /** The group's servers now: the configured ones in order, each host expanded to its known addresses. */
    private List<UpstreamConfig.Server> servers() {
        List<UpstreamConfig.Server> servers = new ArrayList<>();
        int host = 0;
        for (UpstreamConfig.Server server : config.servers()) {
            if (!needsResolution(server)) {
                servers.add(server);
                continue;
            }
            List<String> addresses = hosts.get(host++).addresses;
            if (addresses == null) {
                servers.add(server);
            } else {
                for (String address : addresses) {
                    servers.add(server.at(address));
                }
            }
        }
        return servers;
    }

    /** One configured server whose address names a host, and what DNS last said about it. */
    private final class Host {
        private final UpstreamConfig.Server server;
        /** Sorted IP literals of the last answer; null before the first one. */
        private List<String> addresses;
        private boolean failing;
        private ScheduledFuture<?> next;

        Host(UpstreamConfig.Server server) {
            this.server = server;
        }

        void lookUp() {
            next = null;
            if (stopped) {
                return;
            }
            Answer answer = new Answer(types.size());
            for (DnsRecordType type : types) {
                resolver.resolveAll(new DefaultDnsQuestion(server.address().host(), type))
                        .addListener(future -> answer.add(this, future));
            }
        }

        void answered(Answer answer) {
            if (stopped) {
                return;
            }
            long delayMillis = maxIntervalMillis;
            if (answer.failure != null) {
                if (!failing) {
                    failing = true;
                    log.warn("upstream {}: cannot resolve {} ({}); keeping its last known addresses {}", config.name(),
                            server.address(), answer.failure, addresses == null ? "(none yet: resolved per connection)"
                                    : addresses);
                }
            } else {
                if (failing) {
                    failing = false;
                    log.info("upstream {}: {} resolves again", config.name(), server.address());
                }
                List<String> resolved = List.copyOf(answer.addresses);
                if (answer.minTtlSeconds < delayMillis / 1000) {
                    delayMillis = Math.max(MIN_INTERVAL_SECONDS, answer.minTtlSeconds) * 1000;
                }
                if (!resolved.equals(addresses)) {
                    log.info("upstream {}: {} resolves to {}{}", config.name(), server.address(),
                            resolved.isEmpty() ? "no address (the host contributes no server)" : resolved,
                            addresses == null ? "" : " (was " + addresses + ")");
                    addresses = resolved;
                    install.accept(servers());
                }
            }
            next = loop.schedule(this::lookUp, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** The answers to one look-up's questions (one per record type), joined. */
    private static final class Answer {
        private int pending;
        private final TreeSet<String> addresses = new TreeSet<>();
        private long minTtlSeconds = Long.MAX_VALUE;
        private String failure;

        Answer(int questions) {
            this.pending = questions;
        }

        void add(Host host, Future<? super List<DnsRecord>> future) {
            if (future.isSuccess()) {
                @SuppressWarnings("unchecked")
                List<DnsRecord> records = (List<DnsRecord>) future.getNow();
                for (DnsRecord record : records) {
                    try {
                        read(record);
                    } finally {
                        ReferenceCountUtil.release(record);
                    }
                }
            } else if (!absent(future.cause())) {
                Throwable cause = future.cause();
                failure = cause.getMessage() + (cause.getCause() != null ? ": " + cause.getCause().getMessage() : "");
            }
            if (--pending == 0) {
                host.answered(this);
            }
        }

        private void read(DnsRecord record) {
            if (!(record instanceof DnsRawRecord raw)) {
                return;
            }
            int length = raw.content().readableBytes();
            if ((record.type() == DnsRecordType.A && length == 4) || (record.type() == DnsRecordType.AAAA && length == 16)) {
                try {
                    addresses.add(NetUtil.toAddressString(InetAddress.getByAddress(ByteBufUtil.getBytes(raw.content()))));
                    minTtlSeconds = Math.min(minTtlSeconds, record.timeToLive());
                } catch (UnknownHostException e) {
                    throw new IllegalStateException("a 4 or 16 byte address", e);
                }
            }
        }

        /**
         * Whether a failed question was answered "no such record" (NXDOMAIN, or no record of the type) rather
         * than not answered at all (timeout, SERVFAIL, refused).
         */
        private static boolean absent(Throwable cause) {
            if (!(cause instanceof UnknownHostException)) {
                return false;
            }
            Throwable reason = cause.getCause();
            return reason == null || (reason instanceof DnsErrorCauseException dns && dns.getCode() == DnsResponseCode.NXDOMAIN);
        }
    }
}
