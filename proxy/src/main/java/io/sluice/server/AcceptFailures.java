package io.sluice.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The last handler of a listening socket: reports failed accepts in words an operator can act on. Netty's
 * acceptor, just before this, has already paused accepting for a second (a listening socket stays readable
 * while the process is out of file descriptors, so accepting again at once would spin the loop); waiting
 * clients stay in the backlog meanwhile. Without this the failure reached the pipeline's tail, which logged
 * a generic warning with a stack trace every second and no word of the limit. One line per listening socket
 * at most every ten seconds, with the number of failures since the last.
 */
final class AcceptFailures extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptFailures.class);
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String address;
    private final long openFileLimit;
    private final IntSupplier openConnections;
    private long reportedAt;
    private int failures;

    AcceptFailures(String address, long openFileLimit, IntSupplier openConnections) {
        this.address = address;
        this.openFileLimit = openFileLimit;
        this.openConnections = openConnections;
        this.reportedAt = System.nanoTime() - REPORT_INTERVAL_NANOS;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failures++;
        long now = System.nanoTime();
        if (now - reportedAt < REPORT_INTERVAL_NANOS) {
            return;
        }
        String message = String.valueOf(cause.getMessage());
        if (message.contains("Too many open files")) {
            log.warn("listener {}: accept failed {} time(s) since the last report: {}; open-file limit {}, client"
                            + " connections open {}. New connections wait in the backlog and accepting resumes every"
                            + " second. Raise the open-file limit (ulimit -n, systemd LimitNOFILE, the container's"
                            + " nofile) or lower limits.max-connections.", address, failures, message,
                    openFileLimit < 0 ? "unknown" : Long.toString(openFileLimit), openConnections.getAsInt());
        } else {
            log.warn("listener {}: accept failed {} time(s) since the last report; accepting resumes every second",
                    address, failures, cause);
        }
        reportedAt = now;
        failures = 0;
    }
}
