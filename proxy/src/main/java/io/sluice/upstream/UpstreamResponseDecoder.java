package io.sluice.upstream;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * The response side of an HTTP/1.1 upstream connection, as strict about framing as the client side. Request
 * heads go out already encoded (see {@link RequestHeadBuilder#encode}), so no request encoder sits in the
 * pipeline to tell this decoder which method a response answers: {@link UpstreamConnection} does, for the one
 * case that changes framing, a response to {@code HEAD}.
 */
final class UpstreamResponseDecoder extends HttpResponseDecoder {
    /** Response body pieces are handed on at most this size, bounding what one read pins. */
    static final int MAX_CHUNK_SIZE = 64 * 1024;

    private boolean answersHead;

    UpstreamResponseDecoder() {
        super(config());
    }

    private static HttpDecoderConfig config() {
        // an upstream response with ambiguous framing (Content-Length with Transfer-Encoding, two lengths)
        // fails decoding and becomes a 502: passing it on would let the two hops disagree on its end
        return new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(MAX_CHUNK_SIZE)
                .setValidateHeaders(true)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true)
                .setAllowDuplicateContentLengths(false);
    }

    /** The next final response answers a {@code HEAD} request: it has no body whatever its headers say. */
    void expectResponseToHead(boolean head) {
        answersHead = head;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        if (((HttpResponse) msg).status().codeClass() != HttpStatusClass.INFORMATIONAL && answersHead) {
            // only the first final response answers the request; anything after it is unasked for
            answersHead = false;
            return true;
        }
        return super.isContentAlwaysEmpty(msg);
    }
}
