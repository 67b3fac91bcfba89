package io.sluice.server;

import io.netty.util.Version;
import io.sluice.accesslog.AccessLogWriter;
import io.sluice.config.ConfigDiff;
import io.sluice.config.ConfigLoader;
import io.sluice.config.InvalidConfigException;
import io.sluice.config.SluiceConfig;
import io.sluice.tls.TlsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Runs the process: load and check the configuration, start, reload on SIGHUP, reopen logs on SIGUSR1,
 * and stop gracefully on SIGTERM/SIGINT.
 */
public final class Launcher {
    private static final Logger log = LoggerFactory.getLogger(Launcher.class);
    private static final String NETTY_JFR = "io.netty.jfr.enabled";
    private static final String NETTY_LEAK_DETECTION = "io.netty.leakDetection.level";
    private static final String NETTY_PROCESS_ID = "io.netty.processId";

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

    /** {@code -t --diff OLD}: checks the file like {@link #test}, then prints what a reload from OLD would change. */
    public static int diff(Path file, Path old, PrintStream out, PrintStream err) {
        int status = test(file, out, err);
        if (status != 0) {
            return status;
        }
        SluiceConfig before = load(old, err);
        if (before == null) {
            err.println("sluice: cannot compare: " + old + " is not valid");
            return 1;
        }
        List<String> changes = ConfigDiff.between(before, load(file, err));
        out.println(changes.isEmpty() ? "no changes" : String.join("\n", changes));
        return 0;
    }

    /**
     * Runs until SIGTERM or SIGINT, then drains; returns the process exit status. SIGHUP reloads the
     * configuration file, SIGUSR1 reopens the access logs. {@code admin} starts the admin listener (it lives
     * in a higher layer) and is closed last, so that {@code /readyz} reports the drain.
     */
    public static int run(Path file, PrintStream err, Function<SluiceServer, AutoCloseable> admin) {
        quietNettyJfrEvents();
        noLeakSampling();
        processIdForNetty();
        SluiceConfig config = load(file, err);
        if (config == null) {
            return 1;
        }
        // before the start, which logs "started": a SIGTERM sent as soon as that line appears must drain,
        // not kill the JVM with status 143 because no handler was installed yet
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        AtomicReference<SluiceServer> started = new AtomicReference<>();
        SignalledReloads reloads = new SignalledReloads(() -> {
            log.info("SIGHUP: reloading {}", file == null ? "(embedded default cannot be reloaded)" : file);
            started.get().reload();
        });
        handle("HUP", "reload with POST /reload on the admin listener instead", () -> {
            if (started.get() == null) {
                log.info("SIGHUP while starting: ignored");
                return;
            }
            reloads.signalled();
        });
        handle("USR1", "the access logs cannot be reopened by signal", () -> {
            SluiceServer running = started.get();
            if (running != null) {
                log.info("SIGUSR1: reopening access logs");
                running.accessLogWriter().reopen();
            }
        });
        SluiceServer server;
        AutoCloseable adminListener;
        try {
            server = SluiceServer.start(config, file, new AccessLogWriter());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            // Exception: Netty rethrows a failed bind's checked BindException without declaring it
            err.println("sluice: cannot start: " + e);
            return 1;
        }
        try {
            adminListener = admin.apply(server);
        } catch (Exception e) {
            err.println("sluice: cannot start the admin listener on " + config.admin().listen() + ": " + e);
            server.close();
            return 1;
        }
        started.set(server);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("stopping: draining connections for up to {} after a drain-delay of {}", config.shutdownTimeout(),
                server.config().drainDelay());
        server.shutdown();
        if (adminListener != null) {
            try {
                adminListener.close();
            } catch (Exception e) {
                log.warn("closing the admin listener failed", e);
            }
        }
        log.info("stopped");
        return 0;
    }

    /**
     * Netty's buffer allocators report every chunk and buffer to JFR whenever the JDK has JFR. Loading those
     * event classes makes the JVM set up JFR's metadata and generate event handlers during the first request,
     * about a quarter of a second of CPU at start on one core, and a recording would then hold an event, with
     * a stack trace, per buffer. Off unless asked for ({@code -Dio.netty.jfr.enabled=true}); Netty reads the
     * property once, so this runs before anything touches Netty.
     */
    private static void quietNettyJfrEvents() {
        if (System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
    }

    /**
     * Netty's default leak detection samples about one buffer in 128 and records where it is touched, a cost
     * paid by every allocation (about 3 % of the CPU of a proxied request in a profile). It is a debugging
     * aid: the test suite runs every buffer path under paranoid detection, where a leak fails the build. A
     * server in service skips it unless asked for ({@code -Dio.netty.leakDetection.level=simple}); Netty
     * reads the property once, so this runs before anything touches Netty.
     */
    private static void noLeakSampling() {
        if (System.getProperty(NETTY_LEAK_DETECTION) == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            System.setProperty(NETTY_LEAK_DETECTION, "disabled");
        }
    }

    /**
     * Netty puts the process id into every channel's id and looks it up when the first channel is made (the
     * first bind) through {@code ProcessHandle}, whose initialisation generates method-handle classes: ~5 ms
     * of one core before the ports open. On Linux {@code /proc/self} names it; elsewhere, or when the
     * property is set, Netty looks it up itself.
     */
    private static void processIdForNetty() {
        if (System.getProperty(NETTY_PROCESS_ID) == null) {
            String pid = procfsProcessId();
            if (pid != null) {
                System.setProperty(NETTY_PROCESS_ID, pid);
            }
        }
    }

    /** This process's id as {@code /proc/self} links to it; {@code null} without such a link. */
    static String procfsProcessId() {
        try {
            return Integer.toString(Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/self")).toString()));
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * Signal handlers run on the JVM's signal thread; the work goes to a fresh thread so signals never queue behind it.
     *
     * <p>A signal the process was started with ignored (SIGHUP under {@code nohup}) cannot be handled: the JVM
     * keeps it ignored and only says so in the handler it returns. Without a log line the signal would silently
     * do nothing; {@code instead} tells the operator what to do. {@code action} runs on the thread the JDK
     * starts for each signal it delivers (a daemon).
     */
    private static void handle(String name, String instead, Runnable action) {
        try {
            SignalHandler previous = Signal.handle(new Signal(name), signal -> action.run());
            if (previous == SignalHandler.SIG_IGN) {
                log.warn("SIG{} was ignored when this process started (nohup?) and stays ignored: {}", name, instead);
            }
        } catch (IllegalArgumentException e) {
            log.warn("cannot handle SIG{} in this JVM: {}", name, e.getMessage());
        }
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
