package io.sluice.server;

import io.netty.util.Version;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.SluiceConfig;
import io.sluice.tls.TlsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/** Runs the process: load and check the configuration, start, and stop gracefully on SIGTERM/SIGINT. */
public final class Launcher {
    private static final Logger log = LoggerFactory.getLogger(Launcher.class);

    private Launcher() {
    }

    /** Loads the configuration and reports its problems; {@code null} when it is invalid. */
    public static SluiceConfig load(Path file, PrintStream err) {
        try {
            return file == null ? ConfigLoader.loadDefault() : ConfigLoader.load(file);
        } catch (InvalidConfigException e) {
            for (String problem : e.problems()) {
                err.println("sluice: " + problem);
            }
            return null;
        }
    }

    /** {@code -t}: exit status 0 when the configuration is valid, 1 otherwise, like {@code nginx -t}. */
    public static int test(Path file, PrintStream out, PrintStream err) {
        SluiceConfig config = load(file, err);
        if (config == null) {
            err.println("sluice: configuration " + (file == null ? "(embedded default)" : file) + " test failed");
            return 1;
        }
        out.println("sluice: configuration " + config.source() + " is ok");
        return 0;
    }

    /** Runs until SIGTERM or SIGINT, then drains; returns the process exit status. */
    public static int run(Path file, PrintStream err) {
        SluiceConfig config = load(file, err);
        if (config == null) {
            return 1;
        }
        SluiceServer server;
        try {
            server = SluiceServer.start(config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (RuntimeException e) {
            err.println("sluice: cannot start: " + e);
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopping: draining connections for up to {}", config.shutdownTimeout());
        server.shutdown();
        log.info("stopped");
        return 0;
    }

    public static String version() {
        Properties properties = new Properties();
        try (InputStream in = Launcher.class.getResourceAsStream("/io/sluice/version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException ignored) {
            // the version line below says "unknown"
        }
        Version netty = Version.identify().get("netty-common");
        String tls = TlsProvider.describe();
        return "sluice " + properties.getProperty("version", "unknown")
                + "\nnetty " + (netty == null ? "unknown" : netty.artifactVersion())
                + "\ntls " + tls
                + "\njava " + System.getProperty("java.version");
    }
}
