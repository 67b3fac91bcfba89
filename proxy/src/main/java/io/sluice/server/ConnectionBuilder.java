package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/** Admits a new connection and builds its pipeline before it registers with its loop. */
interface ConnectionBuilder {
    /**
     * Builds {@code channel}'s pipeline for life on {@code loop}; false when the connection was refused (its
     * pipeline stays empty and it is closed once registered).
     */
    boolean build(Channel channel, EventLoop loop);
}
