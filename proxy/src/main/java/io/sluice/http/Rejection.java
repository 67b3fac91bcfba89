package io.sluice.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Why a request is refused: the status the client gets and the reason the error log gets. */
public record Rejection(HttpResponseStatus status, String reason) {
}
