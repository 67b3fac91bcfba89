package io.sluice.http;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client that stops reading is disconnected after send-timeout instead of pinning its response. */
class SendTimeoutIT {
    private static final int BODY = 32 << 20;

    @Test
    void clientThatStopsReadingIsDisconnected() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  limits { send-timeout = 1s }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/big", return { body = "%s" } }
                    { match = "/", return { body = "ok" } }
                  ] } ]
                }""".formatted("x".repeat(BODY)))) {
            try (Socket stalled = new Socket("127.0.0.1", sluice.port())) {
                stalled.setReceiveBufferSize(64 * 1024);
                stalled.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(4000);
                InputStream in = stalled.getInputStream();
                long received = 0;
                byte[] buffer = new byte[1 << 16];
                try {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        received += n;
                    }
                } catch (SocketException reset) {
                    // a reset is a disconnect too
                }
                assertTrue(received < BODY, "the stalled client must be cut off, got " + received + " bytes");
            }
            try (RawHttp http = new RawHttp(sluice.port())) {
                assertEquals(200, http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            }
        }
    }
}
