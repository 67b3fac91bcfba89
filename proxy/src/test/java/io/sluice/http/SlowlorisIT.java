package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 500 connections trickling their headers do not slow a normal client, and are cut off by header-timeout. */
class SlowlorisIT {
    private static final int ATTACKERS = 500;

    @Test
    void tricklingHeadersDoNotStarveNormalClients() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  limits { header-timeout = 5s }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""")) {
            List<Socket> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < ATTACKERS; i++) {
                    Socket socket = new Socket("127.0.0.1", sluice.port());
                    socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII));
                    attackers.add(socket);
                }
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                long worstMillis = 0;
                int served = 0;
                int alive = ATTACKERS;
                while (System.nanoTime() < end) {
                    alive = 0;
                    for (Socket socket : attackers) {
                        if (trickle(socket)) {
                            alive++;
                        }
                    }
                    long start = System.nanoTime();
                    try (RawHttp http = new RawHttp(sluice.port())) {
                        assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
                    }
                    worstMillis = Math.max(worstMillis, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    served++;
                    Thread.sleep(200);
                }
                assertTrue(served > 20, "normal client served " + served + " times");
                assertTrue(worstMillis < 5000, "slowest normal request took " + worstMillis + " ms");
                assertEquals(0, alive, "every trickling connection is cut off by header-timeout");
            } finally {
                for (Socket socket : attackers) {
                    socket.close();
                }
            }
        }
    }

    /** Sends one more header byte; false once the server has closed the connection. */
    private static boolean trickle(Socket socket) {
        try {
            socket.getOutputStream().write('X');
            socket.getOutputStream().flush();
            return true;
        } catch (IOException closed) {
            return false;
        }
    }
}
