package io.sluice.balance;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small JDK HTTP backend that answers its name: {@code /healthz} answers {@link #healthStatus} (200 until
 * a test changes it) and counts the checks, {@code /slow} answers once {@link #releaseSlow} is counted
 * down, anything else answers at once. It can be stopped and started again on the same port.
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

    /** Stops listening and closes open connections: the backend is gone. */
    void kill() {
        server.stop(0);
    }

    /** Listens again on the same port. */
    void restart() throws IOException {
        start(port);
    }

    @Override
    public void close() {
        releaseSlow.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
