package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * limits.min-send-rate: a client that reads a little every now and then never lets send-timeout fire,
 * but it is cut off for reading too slowly; a client reading normally on the same loop is unaffected.
 */
class MinSendRateIT {
    private static final int BODY = 16 << 20;

    @Test
    void tricklingReaderIsDisconnectedLongBeforeSendTimeoutAndOthersAreServed() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 120s, min-send-rate = 256k }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/big", return { body = "%s" } }
                    { match = "/", return { body = "ok" } }
                  ] } ]
                }""".formatted("x".repeat(BODY)));
             Socket trickler = new Socket()) {
            trickler.setReceiveBufferSize(16 * 1024);
            trickler.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port()));
            trickler.setSoTimeout(60_000);
            trickler.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();

            try (RawHttp normal = new RawHttp(sluice.port())) {
                RawHttp.Response response = normal.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n").readResponse();
                assertEquals(200, response.status());
                assertEquals(BODY, response.body().length, "a client reading normally gets all of it");
            }

            InputStream in = trickler.getInputStream();
            long received = 0;
            byte[] buffer = new byte[4096];
            long trickleUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received += n;
                    // trickle long enough to be judged, then drain what the kernel buffered before the cut
                    if (System.nanoTime() < trickleUntil) {
                        Thread.sleep(100);
                    }
                }
            } catch (SocketException reset) {
                // a reset is a disconnect too
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(received < BODY, "the trickling client must be cut off, got " + received + " bytes");
            assertTrue(seconds < 60, "cut off after " + seconds + "s, send-timeout is 120s");

            try (RawHttp http = new RawHttp(sluice.port())) {
                assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
        }
    }

    @Test
    void clientReadingAtAReasonablePaceIsNotCut() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { min-send-rate = 1k }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", return { body = "%s" } }
                  ] } ]
                }""".formatted("y".repeat(2 << 20)));
             Socket reader = new Socket()) {
            reader.setReceiveBufferSize(16 * 1024);
            reader.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port()));
            reader.setSoTimeout(30_000);
            reader.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = reader.getInputStream();
            // about 80 KB/s, far above the minimum: the whole response arrives over several windows
            long received = 0;
            byte[] buffer = new byte[8192];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int n;
            while (received < (2 << 20) + 100 && (n = in.read(buffer)) >= 0 && System.nanoTime() < deadline) {
                received += n;
                Thread.sleep(100);
            }
            assertTrue(received > 2 << 20, "got " + received);
        }
    }
}
