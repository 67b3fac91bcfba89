package io.sluice.admin;

import io.sluice.testing.OperatedSluice;
import io.sluice.testing.WebSocketEcho;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A WebSocket and a long download that span many reloads stay open and complete on their old snapshot. */
class ReloadSpanningExchangesIT {
    private static final int FILE_SIZE = 48 << 20;

    @TempDir
    Path directory;

    @Test
    void webSocketAndLongDownloadSurviveReloads() throws Exception {
        byte[] content = new byte[FILE_SIZE];
        new Random(11).nextBytes(content);
        Path root = Files.createDirectories(directory.resolve("www"));
        Files.write(root.resolve("big.bin"), content);
        String expectedHash = sha256(content);

        try (WebSocketEcho echo = new WebSocketEcho();
             OperatedSluice sluice = OperatedSluice.start(config("first", root, echo.address()))) {
            String backend = echo.address();
            LinkedBlockingQueue<String> echoes = new LinkedBlockingQueue<>();
            WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + sluice.port() + "/ws"), collector(echoes))
                    .get(5, TimeUnit.SECONDS);
            CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> slowDownload(sluice.port()));

            for (int i = 0; i < 10; i++) {
                String name = i % 2 == 0 ? "second" : "first";
                sluice.rewrite(config(name, root, backend));
                assertEquals(200, sluice.post(sluice.adminUri("/reload")).statusCode());
                assertEquals(name, sluice.get(sluice.uri("/which")).body(), "reload " + i + " switches the route");
                socket.sendText("message " + i, true).get(5, TimeUnit.SECONDS);
                assertEquals("message " + i, echoes.poll(5, TimeUnit.SECONDS), "the WebSocket still echoes");
            }
            assertFalse(download.isDone(), "the download should still be running while the reloads happen");
            assertEquals(expectedHash, download.get(60, TimeUnit.SECONDS), "the long download completes byte-exact");
            socket.sendText("after", true).get(5, TimeUnit.SECONDS);
            assertEquals("after", echoes.poll(5, TimeUnit.SECONDS));
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        }
    }

    private static String config(String name, Path root, String backend) {
        return """
                sluice {
                  access-log { format = off }
                  admin { listen = "127.0.0.1:0" }
                  upstreams { echo { servers = [ { address = "%s" } ], read-timeout = 60s } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "= /which", return { body = "%s" } }
                    { match = "/files/", static { root = "%s" } }
                    { match = "/ws", proxy { upstream = echo } }
                  ] } ]
                }""".formatted(backend, name, root);
    }

    /** Reads the file at about 12 MB/s, so that it is still arriving while the configuration changes. */
    private static String slowDownload(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.getOutputStream().write("GET /files/big.bin HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.read());
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[256 * 1024];
            long remaining = FILE_SIZE;
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new AssertionError("download ended early with " + remaining + " bytes missing");
                }
                digest.update(buffer, 0, n);
                remaining -= n;
                Thread.sleep(n / 12_000);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static WebSocket.Listener collector(LinkedBlockingQueue<String> echoes) {
        return new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    echoes.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        };
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
