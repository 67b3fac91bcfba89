package io.sluice.http;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client answered before its body has all arrived, which then trickles the body, each piece well within
 * body-timeout: Sluice reads and discards it for at most lingering-time, then closes.
 */
class LingeringTimeIT {

    @Test
    void aBodyTrickledAfterAnEarlyAnswerIsDiscardedForAtMostLingeringTime() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  access-log { format = off }
                  limits { lingering-time = 2s, body-timeout = 20s }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "early" } } ] } ]
                }""");
             Socket socket = new Socket("127.0.0.1", sluice.port())) {
            socket.setSoTimeout(100);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder response = new StringBuilder();
            long answeredAt = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
            boolean closed = false;
            byte[] piece = new byte[100];
            byte[] buffer = new byte[4096];
            while (!closed && System.nanoTime() < deadline) {
                try {
                    out.write(piece);
                } catch (IOException e) {
                    closed = true;
                    break;
                }
                try {
                    int read = in.read(buffer);
                    if (read < 0) {
                        closed = true;
                    } else {
                        response.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                        if (answeredAt == 0 && response.toString().endsWith("early")) {
                            answeredAt = System.nanoTime();
                        }
                    }
                } catch (SocketTimeoutException e) {
                    // nothing from the server in this 100 ms: trickle on
                } catch (IOException e) {
                    closed = true;
                }
            }
            assertTrue(response.toString().startsWith("HTTP/1.1 200"), response.toString());
            assertTrue(closed, "the connection was still open 12 s after the request, its body still trickling");
            long lingeredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answeredAt);
            assertTrue(lingeredMillis < 6_000, "closed " + lingeredMillis + " ms after the answer");
        }
    }
}
