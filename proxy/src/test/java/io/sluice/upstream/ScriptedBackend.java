package io.sluice.upstream;

import io.sluice.testing.RawHttp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A misbehaving upstream on plain blocking sockets, so that a test controls every byte and every reset:
 * for each request head it reads, the {@link Script} registered for the request path writes whatever it
 * likes and says whether the connection stays open. It records each request head it received together
 * with the number of its connection and its position on that connection.
 */
final class ScriptedBackend implements AutoCloseable {
    /** What the backend does with one request; returns false to stop serving the connection. */
    @FunctionalInterface
    interface Script {
        boolean answer(Received request, Socket socket, OutputStream out) throws IOException, InterruptedException;
    }

    /** A request head as the backend read it. */
    record Received(int connection, int onConnection, String head) {
        String path() {
            return head.split(" ", 3)[1];
        }
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final java.util.Map<String, Script> scripts = new java.util.concurrent.ConcurrentHashMap<>();
    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    ScriptedBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "scripted-backend-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        on("/ok", (request, socket, out) -> {
            respond(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            return true;
        });
    }

    ScriptedBackend on(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    /** The request heads this backend received for {@code path}, in order. */
    List<Received> receivedFor(String path) {
        return received.stream().filter(request -> request.path().equals(path)).toList();
    }

    /**
     * A normal request through Sluice on {@code port} right afterwards is served, and not on any connection of
     * {@code brokenOn}: the pool never hands out a connection in doubt again.
     */
    void assertNextRequestServedFresh(int port, List<Received> brokenOn) throws IOException {
        int before = received.size();
        try (RawHttp raw = new RawHttp(port)) {
            RawHttp.Response response = raw.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
            assertEquals(200, response.status(), response.head());
            assertEquals("ok", response.bodyText());
        }
        Received ok = received.subList(before, received.size()).stream()
                .filter(request -> request.path().equals("/ok")).findFirst().orElseThrow();
        for (Received broken : brokenOn) {
            assertNotEquals(broken.connection(), ok.connection(), "a connection in doubt was reused after " + broken);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int connections() {
        return connections.get();
    }

    static void respond(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Closes with a TCP reset instead of an orderly shutdown. */
    static void reset(Socket socket) throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                int number = connections.incrementAndGet();
                Thread serving = new Thread(() -> serve(socket, number), "scripted-backend-" + number);
                serving.setDaemon(true);
                serving.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, int number) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            for (int onConnection = 1; ; onConnection++) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                Received request = new Received(number, onConnection, head);
                received.add(request);
                Script script = scripts.get(request.path());
                if (script == null) {
                    respond(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                } else if (!script.answer(request, socket, out)) {
                    return;
                }
            }
        } catch (SocketException e) {
            // the proxy closed the connection or the script reset it
        } catch (IOException | InterruptedException e) {
            // the test is over
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
