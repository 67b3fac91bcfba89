package io.sluice.balance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small JDK HTTP backend that answers its name: {@code /healthz} answers {@link #healthStatus} (200 until
 * a test changes it) and counts the checks, {@code /slow} answers once {@link #releaseSlow} is counted
 * down, anything else answers at once. It can be stopped and started again on the same port; while it is
 * stopped the port stays reserved (see {@link #kill()}).
 */
final class NamedBackend implements AutoCloseable {
    final String name;
    final AtomicInteger healthStatus = new AtomicInteger(200);
    final AtomicInteger healthChecks = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final InetAddress host;
    private int port;
    private HttpServer server;
    private Socket portHolder;

    NamedBackend(String name) throws IOException {
        this(name, InetAddress.getLoopbackAddress(), 0);
    }

    /** A backend on {@code host} (a loopback address such as 127.0.0.2) and {@code port} (0: any free one). */
    NamedBackend(String name, InetAddress host, int port) throws IOException {
        this.name = name;
        this.host = host;
        start(port);
    }

    private void start(int wantedPort) throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, wantedPort), 50);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        port = server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            if (path.equals("/healthz")) {
                healthChecks.incrementAndGet();
                exchange.sendResponseHeaders(healthStatus.get(), -1);
                return;
            }
            requests.incrementAndGet();
            if (path.equals("/slow")) {
                try {
                    releaseSlow.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    String address() {
        return host.getHostAddress() + ":" + port;
    }

    int port() {
        return port;
    }

    /**
     * Stops listening and closes open connections: the backend is gone, connections to it are refused.
     * The port stays bound by a socket that does not listen: a free port from the ephemeral range could
     * otherwise be taken by any other socket of the machine (a listener bound to port 0, or the proxy's
     * own connection picking it as its source port and connecting to itself), and the "dead" backend
     * would then answer, or hang, in its place. The kernel picks neither a port bound this way for bind(0)
     * nor for a connection's source port; SO_REUSEADDR lets the bind succeed over the TIME_WAIT
     * connections the stop leaves behind.
     */
    void kill() throws IOException {
        server.stop(0);
        portHolder = new Socket();
        portHolder.setReuseAddress(true);
        portHolder.bind(new InetSocketAddress(host, port));
    }

    /** Listens again on the same port. */
    void restart() throws IOException {
        releasePort();
        start(port);
    }

    private void releasePort() throws IOException {
        if (portHolder != null) {
            portHolder.close();
            portHolder = null;
        }
    }

    @Override
    public void close() throws IOException {
        releaseSlow.countDown();
        server.stop(0);
        releasePort();
        executor.shutdownNow();
    }
}
