package io.sluice.server;

import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A reload that drops a listen address drains exactly the connections that address accepted. */
class ListenerRemovalIT {

    private static String config(boolean second) {
        return """
                sluice {
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:0" %s ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""".formatted(second ? ", \"127.0.0.2:0\"" : "");
    }

    @Test
    void idleConnectionsOfTheRemovedAddressCloseAndOthersStay() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config(true));
             RawHttp kept = new RawHttp(sluice.server().boundPorts().get("127.0.0.1:0"), 1000);
             Socket dropped = new Socket(InetAddress.getByName("127.0.0.2"), sluice.server().boundPorts().get("127.0.0.2:0"))) {
            dropped.setSoTimeout(1000);
            assertEquals(200, kept.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
            dropped.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(readSome(dropped.getInputStream()).startsWith("HTTP/1.1 200"));

            sluice.rewrite(config(false));
            assertTrue(sluice.server().reload().success());

            assertTrue(closedWithin(dropped, 10_000), "the removed address's idle connection is closed");
            assertFalse(kept.isClosedByServer(), "the kept address's connection stays open");
            assertEquals(200, kept.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().status());
        }
    }

    private static String readSome(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        int n = in.read(buffer);
        return new String(buffer, 0, Math.max(0, n), StandardCharsets.US_ASCII);
    }

    private static boolean closedWithin(Socket socket, long millis) throws IOException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            try {
                if (socket.getInputStream().read() < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // still open: keep waiting
            } catch (SocketException reset) {
                return true;
            }
        }
        return false;
    }
}
