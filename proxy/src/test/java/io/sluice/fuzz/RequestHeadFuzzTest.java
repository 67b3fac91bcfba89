package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ConfigLoader;
import io.sluice.http.Authority;
import io.sluice.http.HttpCodecs;
import io.sluice.http.Rejection;
import io.sluice.http.RequestValidator;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arbitrary bytes through the strict decoder and the validator: nothing throws, nothing leaks, and a
 * request that is accepted has exactly one framing and one valid Host.
 */
class RequestHeadFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void acceptedRequestsAreUnambiguous(byte[] input) {
        EmbeddedChannel channel = new EmbeddedChannel(HttpCodecs.serverCodec(
                ConfigLoader.parse("sluice { servers = [ { listen = [ \"127.0.0.1:0\" ], locations = [ "
                        + "{ match = \"/\", return { } } ] } ] }", Path.of(".")).limits()));
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(input));
            Object message;
            while ((message = channel.readInbound()) != null) {
                try {
                    if (message instanceof HttpRequest request) {
                        check(request);
                    }
                } finally {
                    ReferenceCountUtil.release(message);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static void check(HttpRequest request) {
        Rejection rejection = RequestValidator.check(request);
        if (rejection != null) {
            assertNotNull(rejection.status());
            return;
        }
        boolean chunked = request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
        boolean length = request.headers().contains(HttpHeaderNames.CONTENT_LENGTH);
        assertFalse(chunked && length, "accepted with both Content-Length and Transfer-Encoding");
        assertTrue(request.headers().getAll(HttpHeaderNames.CONTENT_LENGTH).size() <= 1);
        assertTrue(request.headers().getAll(HttpHeaderNames.HOST).size() <= 1);
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            assertNotNull(Authority.hostOf(host), "accepted an invalid Host");
        }
        assertTrue(request.uri().startsWith("/") || request.uri().equals("*"), "target not in origin form");
        assertEquals(1, request.protocolVersion().majorVersion());
    }
}
