package io.sluice.http;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** max-connections-per-ip refuses one address's extra connections without touching other clients. */
class ConnectionLimitsIT {

    @Test
    void perAddressLimitRefusesOnlyThatAddress() throws IOException {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  limits { max-connections-per-ip = 3 }
                  servers = [ { listen = [ "0.0.0.0:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""")) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket socket = connect(sluice.port(), "127.0.0.1");
                    held.add(socket);
                    assertEquals("ok", get(socket));
                }
                try (Socket extra = connect(sluice.port(), "127.0.0.1")) {
                    assertTrue(closedWithoutAnswer(extra), "a 4th connection from 127.0.0.1 is refused");
                }
                try (Socket other = connect(sluice.port(), "127.0.0.2")) {
                    assertEquals("ok", get(other), "another address is not affected");
                }
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void closedConnectionsGiveTheirPlaceBack() throws IOException, InterruptedException {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  limits { max-connections-per-ip = 2 }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""")) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 2; i++) {
                    try (Socket socket = connect(sluice.port(), "127.0.0.1")) {
                        assertEquals("ok", get(socket), "round " + round + ", connection " + i);
                    }
                }
                // the server counts a close when it sees it, a moment after the client's
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (sluice.server().activeConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(0, sluice.server().activeConnections());
            }
        }
    }

    private static Socket connect(int port, String from) throws IOException {
        Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0);
        socket.setSoTimeout(5000);
        return socket;
    }

    private static String get(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        int n = in.read(buffer);
        String text = new String(buffer, 0, Math.max(0, n), StandardCharsets.US_ASCII);
        return text.startsWith("HTTP/1.1 200") && text.endsWith("ok") ? "ok" : text;
    }

    private static boolean closedWithoutAnswer(Socket socket) throws IOException {
        try {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return socket.getInputStream().read() < 0;
        } catch (SocketException reset) {
            return true;
        }
    }
}
