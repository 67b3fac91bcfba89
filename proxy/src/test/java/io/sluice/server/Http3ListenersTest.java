package io.sluice.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.config.Transport;
import io.sluice.metrics.SluiceMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without the native QUIC library Sluice keeps running on TCP: the HTTP/3 listeners are left out, said once. */
class Http3ListenersTest {
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Http3Listeners.class);
    private final Transports transports = Transports.select(Transport.NIO);
    private final MultiThreadIoEventLoopGroup workers = transports.newGroup(1, "h3-test");
    @TempDir
    Path dir;

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Test
    void withoutNativeQuicNoListenerIsBoundNothingIsAdvertisedAndTheReasonIsLoggedOnce() throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "never read");
        Files.writeString(dir.resolve("key.pem"), "never read");
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  servers = [ { listen = [ { address = "127.0.0.1:0", tls = true }, { address = "127.0.0.1:0", http3 = true } ]
                    tls { certificates = [ { cert = "cert.pem", key = "key.pem" } ] }
                    locations = [ { match = "/", return { status = 200 } } ] } ]
                }""", dir);
        Http3Listeners listeners = new Http3Listeners(() -> new UnsatisfiedLinkError("no quiche for this libc"),
                transports, workers, new OpenConnections(10, 0), () -> null, new SluiceMetrics());

        assertEquals(List.of(), listeners.bindMissing(config));
        assertEquals(List.of(), listeners.bindMissing(config), "a reload asks again");
        listeners.advertise(config);

        assertEquals(Map.of(), listeners.boundPorts());
        assertEquals(0, listeners.socketCount());
        assertNull(listeners.alternatives().headerFor(config.servers().get(0)), "no Alt-Svc for a listener that is not there");
        assertEquals(1, lines.list.size(), lines.list.toString());
        ILoggingEvent warning = lines.list.get(0);
        assertEquals(Level.WARN, warning.getLevel());
        assertTrue(warning.getFormattedMessage().contains("no quiche for this libc")
                && warning.getFormattedMessage().contains("udp/127.0.0.1:0"), warning.getFormattedMessage());
        listeners.close();
    }
}
