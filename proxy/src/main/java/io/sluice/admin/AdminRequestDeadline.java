package io.sluice.admin;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Each admin request must arrive whole within the timeout of the connection opening or of the previous answer
 * being written; otherwise the connection is closed. One clock bounds a head or a body that never ends, a
 * kept-alive connection that sends nothing more, and (since it starts when the answer is written, not when it
 * has left) a client that never reads its answer. The clock stops while a request is being answered, so a slow
 * reload is not cut.
 */
final class AdminRequestDeadline extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(AdminRequestDeadline.class);

    private final long timeoutNanos;
    private ScheduledFuture<?> deadline;

    AdminRequestDeadline(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest) {
            cancel();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        boolean answer = msg instanceof FullHttpResponse;
        ctx.write(msg, promise);
        if (answer) {
            arm(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
        cancel();
        deadline = ctx.executor().schedule(() -> {
            log.debug("admin: closing {}, no whole request within {} ms", ctx.channel().remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
            ctx.close();
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
