package io.sluice.upstream;

import io.sluice.testing.Http2Backend;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code keepalive.ping-interval} on an HTTP/2 upstream: a server that stops answering without closing
 * its connection fails the stream on it after the PING timeout, long before read-timeout; a live server
 * answers the PINGs and keeps its connection.
 */
class Http2PingIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** An HTTP/2 SETTINGS frame without settings, then the ACK of the client's SETTINGS. */
    private static final byte[] SETTINGS_AND_ACK = {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0};

    private static String config(String address) {
        return """
                sluice {
                  workers = 1
                  upstreams { app {
                    protocol = h2c, retries = 0, read-timeout = 30s
                    servers = [ { address = "%s" } ]
                    keepalive { idle-timeout = 20s, ping-interval = 300ms, ping-timeout = 400ms }
                  } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", proxy { upstream = app } } ] } ]
                }""".formatted(address);
    }

    private static HttpResponse<String> get(RunningSluice sluice, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sluice.port() + path))
                .timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aServerThatFallsSilentFailsItsStreamAfterThePingTimeout() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket socket = silent.accept()) {
                    connections.incrementAndGet();
                    OutputStream out = socket.getOutputStream();
                    out.write(SETTINGS_AND_ACK);
                    out.flush();
                    // then never another frame: no response, no PING ACK, and no FIN
                    InputStream in = socket.getInputStream();
                    byte[] sink = new byte[4096];
                    while (in.read(sink) >= 0) {
                        Thread.onSpinWait();
                    }
                } catch (IOException e) {
                    // the proxy closed the connection: what the test waits for
                }
            }, "silent-h2-server");
            acceptor.setDaemon(true);
            acceptor.start();
            try (RunningSluice sluice = RunningSluice.start(config("127.0.0.1:" + silent.getLocalPort()))) {
                long start = System.nanoTime();
                HttpResponse<String> response = get(sluice, "/unary");
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                assertEquals(502, response.statusCode());
                assertTrue(seconds < 10, "failed after " + seconds + " s; the PING timeout is 400 ms, read-timeout 30 s");
                assertEquals(1, connections.get());
            }
        }
    }

    @Test
    void aLiveServerAnswersThePingsAndKeepsItsConnection() throws Exception {
        try (Http2Backend backend = Http2Backend.cleartext(100);
             RunningSluice sluice = RunningSluice.start(config(backend.address()))) {
            assertEquals(200, get(sluice, "/first").statusCode());
            Thread.sleep(1500);
            assertEquals(200, get(sluice, "/second").statusCode());
            assertEquals(1, backend.connections.get(), "five PING intervals later the connection still serves");
        }
    }
}
