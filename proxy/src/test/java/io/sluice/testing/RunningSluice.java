package io.sluice.testing;

import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.server.SluiceServer;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real Sluice started in the test JVM from configuration text. Listen on {@code 127.0.0.1:0} to get
 * a free port; relative paths resolve against {@code baseDirectory}.
 */
public final class RunningSluice implements AutoCloseable {
    private final SluiceServer server;
    private final String firstAddress;

    private RunningSluice(SluiceServer server) {
        this.server = server;
        this.firstAddress = server.boundPorts().keySet().iterator().next();
    }

    public static RunningSluice start(String hocon) {
        try {
            return start(hocon, Files.createTempDirectory("sluice-test"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static RunningSluice start(String hocon, Path baseDirectory) {
        SluiceConfig config = ConfigLoader.parse(hocon, baseDirectory);
        try {
            return new RunningSluice(SluiceServer.start(config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public SluiceServer server() {
        return server;
    }

    /** The port of the first listen address of the first server block. */
    public int port() {
        return server.boundPorts().get(firstAddress);
    }

    public int port(String configuredAddress) {
        return server.port(configuredAddress);
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    @Override
    public void close() {
        server.close();
    }
}
