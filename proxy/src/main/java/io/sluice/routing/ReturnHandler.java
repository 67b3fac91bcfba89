package io.sluice.routing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.ReturnConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeHandler;
import io.sluice.http.ExchangeListener;

/** The {@code return} action: a fixed status, body and optional redirect target. */
final class ReturnHandler implements ExchangeHandler {
    private final ReturnConfig config;
    private final HttpResponseStatus status;

    ReturnHandler(ReturnConfig config) {
        this.config = config;
        this.status = HttpResponseStatus.valueOf(config.status());
    }

    @Override
    public ExchangeListener start(Exchange exchange) {
        boolean head = HttpMethod.HEAD.equals(exchange.request().method());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(config.body()));
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, config.body().length);
        if (config.body().length > 0) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, config.contentType());
        }
        if (config.location() != null) {
            response.headers().set(HttpHeaderNames.LOCATION, config.location());
        }
        exchange.writeAndFlush(response);
        return ExchangeListener.IGNORE_BODY;
    }
}
