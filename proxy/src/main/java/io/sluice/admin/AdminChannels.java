package io.sluice.admin;

import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.channel.socket.SocketChannel;
import io.sluice.config.AdminConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up each accepted admin connection, at most {@code max-connections} at a time: one more is closed as soon
 * as it is accepted, so that a flood of admin connections cannot use up the process's file descriptors or
 * memory. All admin connections live on the admin listener's one thread, so the count needs no lock.
 */
final class AdminChannels extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(AdminChannels.class);
    private static final int MAX_REQUEST = 64 * 1024;

    private final AdminConfig config;
    private final AdminHandler handler;
    private int open;
    private boolean refusing;

    AdminChannels(AdminConfig config, AdminHandler handler) {
        this.config = config;
        this.handler = handler;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (open >= config.maxConnections()) {
            if (!refusing) {
                refusing = true;
                log.warn("admin: {} connections open (admin.max-connections); closing new ones until some end",
                        open);
            }
            channel.close();
            return;
        }
        refusing = false;
        open++;
        channel.closeFuture().addListener(closed -> open--);
        // requests are read one at a time: AdminHandler asks for the next once it has answered one, and the
        // flow-control handler holds whatever else a read decoded until then
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST),
                new FlowControlHandler(), new AdminRequestDeadline(config.requestTimeout()), handler);
    }
}
