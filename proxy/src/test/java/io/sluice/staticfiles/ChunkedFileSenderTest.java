package io.sluice.staticfiles;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flow.FlowControlHandler;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import io.sluice.http.ConnectionTimeouts;
import io.sluice.http.HttpCodecs;
import io.sluice.routing.HandlerFactory;
import io.sluice.routing.RequestDispatcher;
import io.sluice.routing.Router;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The path for connections that cannot take a FileRegion (TLS, HTTP/2 streams): an EmbeddedChannel is
 * not a socket, so the real dispatcher and static handler send the file as buffers read piece by piece.
 */
class ChunkedFileSenderTest {
    @TempDir
    Path site;

    @Test
    void sendsWholeFilesRangesAndMultipartAsBuffersWhenSendfileIsUnavailable() throws Exception {
        Path root = Files.createDirectories(site.resolve("public"));
        Path file = Downloads.writeRandom(root.resolve("big.bin"), 300 * 1024 + 7, 11);
        byte[] content = Files.readAllBytes(file);
        SluiceConfig config = ConfigLoader.parse("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public" } }
                  ] } ]
                }""", site);
        try (BlockingPool pool = new BlockingPool(config.blockingPool())) {
            Router router = Router.compile(config, new HandlerFactory(pool)::create);
            String address = config.servers().get(0).listen().get(0).address().toString();
            EmbeddedChannel channel = new EmbeddedChannel(new ConnectionTimeouts(config.limits()),
                    HttpCodecs.serverCodec(config.limits()), new FlowControlHandler(),
                    new RequestDispatcher(() -> router, address, true));

            Response whole = exchange(channel, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, whole.status());
            assertArrayEquals(content, whole.body());

            Response range = exchange(channel, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-199999\r\n\r\n");
            assertEquals(206, range.status());
            assertArrayEquals(Arrays.copyOfRange(content, 100000, 200000), range.body());

            Response multipart = exchange(channel, "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,-2\r\n\r\n");
            assertEquals(206, multipart.status());
            String body = new String(multipart.body(), StandardCharsets.ISO_8859_1);
            assertTrue(body.contains("Content-Range: bytes 0-1/" + content.length + "\r\n\r\n"
                    + new String(content, 0, 2, StandardCharsets.ISO_8859_1) + "\r\n--"), body);
            assertTrue(body.contains("Content-Range: bytes " + (content.length - 2) + "-" + (content.length - 1) + "/"
                    + content.length + "\r\n\r\n" + new String(content, content.length - 2, 2, StandardCharsets.ISO_8859_1)
                    + "\r\n--"), body);

            assertTrue(channel.isActive(), "keep-alive after buffered file responses");
            channel.close();
            assertFalse(channel.finishAndReleaseAll());
        }
    }

    private record Response(int status, String head, byte[] body) {
    }

    /** Sends one request and runs the loop's tasks (blocking-pool answers arrive as tasks) until a whole response is out. */
    private static Response exchange(EmbeddedChannel channel, String request) throws InterruptedException {
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            channel.runPendingTasks();
            ByteBuf buf;
            while ((buf = channel.readOutbound()) != null) {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                buf.release();
                out.write(bytes, 0, bytes.length);
            }
            byte[] all = out.toByteArray();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            if (end > 0) {
                String head = text.substring(0, end + 4);
                int at = head.toLowerCase(Locale.ROOT).indexOf("content-length: ");
                int length = Integer.parseInt(head.substring(at + 16, head.indexOf('\r', at)));
                if (all.length >= end + 4 + length) {
                    assertEquals(end + 4 + length, all.length, "nothing after the response");
                    return new Response(Integer.parseInt(head.split(" ")[1]), head,
                            Arrays.copyOfRange(all, end + 4, end + 4 + length));
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no complete response: " + out.toString(StandardCharsets.ISO_8859_1));
    }
}
