package io.sluice.testing;

import io.sluice.accesslog.AccessLogWriter;
import io.sluice.admin.AdminServer;
import io.sluice.config.ConfigLoader;
import io.sluice.server.SluiceServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * A real Sluice started as an operator runs it: from a configuration file (so it can be reloaded), with
 * its admin listener on a free loopback port. Write the configuration with {@code admin.listen =
 * "127.0.0.1:0"}; {@link #rewrite} replaces the file for a reload.
 */
public final class OperatedSluice implements AutoCloseable {
    private final Path directory;
    private final Path configFile;
    private final SluiceServer server;
    private final AdminServer admin;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private OperatedSluice(Path directory, Path configFile, SluiceServer server, AdminServer admin) {
        this.directory = directory;
        this.configFile = configFile;
        this.server = server;
        this.admin = admin;
    }

    public static OperatedSluice start(String hocon) {
        return start(hocon, new AccessLogWriter());
    }

    public static OperatedSluice start(String hocon, AccessLogWriter accessLogWriter) {
        try {
            Path directory = Files.createTempDirectory("sluice-ops");
            Path file = directory.resolve("sluice.conf");
            Files.writeString(file, hocon);
            SluiceServer server = SluiceServer.start(ConfigLoader.load(file), file, accessLogWriter);
            return new OperatedSluice(directory, file, server, AdminServer.start(server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public SluiceServer server() {
        return server;
    }

    public Path directory() {
        return directory;
    }

    /** The port of the first listen address. */
    public int port() {
        return server.boundPorts().values().iterator().next();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    public int adminPort() {
        return admin.port();
    }

    public URI adminUri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + admin.port() + pathAndQuery);
    }

    public HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Replaces the configuration file (atomically, as config management tools do). */
    public void rewrite(String hocon) throws IOException {
        Path next = directory.resolve("sluice.conf.next");
        Files.writeString(next, hocon);
        Files.move(next, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        server.close();
    }
}
