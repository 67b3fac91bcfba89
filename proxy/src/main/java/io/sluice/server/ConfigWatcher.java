package io.sluice.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Opt-in ({@code reload.watch = true}): reads the configuration file every {@code watch-interval} and
 * reloads when its bytes changed. Comparing content rather than timestamps also catches editors and
 * config-map updates that replace the file through a rename or a symlink swap.
 */
final class ConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private final SluiceServer server;
    private final Path file;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-config-watch");
        thread.setDaemon(true);
        return thread;
    });
    private byte[] lastSeen;

    ConfigWatcher(SluiceServer server, Path file, Duration interval) {
        this.server = server;
        this.file = file;
        this.lastSeen = read();
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        log.info("watching {} for changes every {}", file, interval);
    }

    private void check() {
        byte[] now = read();
        if (now == null || Arrays.equals(now, lastSeen)) {
            return;
        }
        lastSeen = now;
        log.info("{} changed; reloading", file);
        server.reload();
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
