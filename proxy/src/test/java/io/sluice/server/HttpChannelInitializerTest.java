package io.sluice.server;

import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ListenConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.routing.ExchangeRecorders;
import io.sluice.routing.DispatchingHandler;
import io.sluice.routing.Router;
import io.sluice.util.HostAndPort;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The listener's child handler builds each connection's pipeline once, when the connection has registered,
 * takes itself out, and closes a connection whose pipeline it could not build.
 */
class HttpChannelInitializerTest {
    private static final SluiceConfig CONFIG = ConfigLoader.parse("""
            sluice { servers = [ { listen = [ "127.0.0.1:8080" ], locations = [
                { match = "/", return { body = "ok" } } ] } ] }
            """, Path.of("."));
    private static final ListenConfig PLAIN = new ListenConfig(new HostAndPort("127.0.0.1", 8080), false, false, false, false);

    private final OpenConnections open = new OpenConnections(10, 0);
    private final ConnectionAdmission admission = new ConnectionAdmission(new SluiceMetrics().listener("127.0.0.1:8080"), open);

    @Test
    void buildsAPlainConnectionAndLeavesItsPipeline() {
        Router router = Router.compile(CONFIG, location -> null, new ExchangeRecorders(new SluiceMetrics(), new AccessLogWriter()));
        HttpChannelInitializer initializer = initializer(() -> router);
        EmbeddedChannel first = new EmbeddedChannel(initializer);
        EmbeddedChannel second = new EmbeddedChannel(initializer);
        for (EmbeddedChannel channel : List.of(first, second)) {
            assertNull(channel.pipeline().get(HttpChannelInitializer.class));
            assertNotNull(channel.pipeline().get(ConnectionTimeouts.class));
            assertNotNull(channel.pipeline().get(DispatchingHandler.class));
            assertEquals(List.of(HttpChannelInitializer.TIMEOUTS, HttpChannelInitializer.DISPATCHER),
                    channel.pipeline().names().subList(0, 2), "the codec comes with the first byte");
        }
        assertEquals(2, open.active());
        first.close();
        second.close();
        assertEquals(0, open.active());
        assertFalse(first.finishAndReleaseAll());
        assertFalse(second.finishAndReleaseAll());
    }

    @Test
    void closesAConnectionWhosePipelineCannotBeBuilt() {
        HttpChannelInitializer initializer = initializer(() -> {
            throw new IllegalStateException("no routes yet");
        });
        EmbeddedChannel channel = new EmbeddedChannel(initializer);
        assertFalse(channel.isOpen(), "a connection with half a pipeline would never be answered");
        assertNull(channel.pipeline().get(HttpChannelInitializer.class));
        assertEquals(0, open.active(), "its admission is given back as it closes");
        assertFalse(channel.finishAndReleaseAll());
    }

    private HttpChannelInitializer initializer(Supplier<Router> router) {
        return new HttpChannelInitializer(PLAIN, admission, router, null, null);
    }
}
