package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * Small, self-contained error pages. The body names the status only: details (paths, upstream
 * addresses, exception text) go to the log, never to the client.
 */
public final class ErrorResponses {
    private ErrorResponses() {
    }

    public static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, boolean close) {
        String text = "<html><head><title>" + status + "</title></head><body><h1>" + status
                + "</h1><hr>sluice</body></html>\n";
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuf body = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=us-ascii")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        ResponseHeaders.addStandard(response.headers());
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
