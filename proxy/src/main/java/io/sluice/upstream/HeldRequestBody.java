package io.sluice.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of one request body that a new attempt must send before it reads more from the client: with
 * an HTTP/2 upstream, what was sent so far (so that a stream the server did not process can go again on
 * another connection, RFC 9113 §8.7), and with either protocol a piece that arrived while no upstream
 * connection was attached (the client's answer to a read asked for by the attempt that just failed).
 * At most {@link #LIMIT} bytes: past it {@link #keep} refuses, and a body that was partly sent can no
 * longer be sent again. Confined to the exchange's event loop.
 */
final class HeldRequestBody {
    /** The default HTTP/2 initial window: a body the server could take before it answered any of it. */
    static final int LIMIT = 64 * 1024;

    private final List<HttpContent> pieces = new ArrayList<>(2);
    private int bytes;
    private boolean ended;

    /** Takes {@code piece} over; false, leaving it with the caller, when it would pass {@link #LIMIT}. */
    boolean keep(HttpContent piece) {
        int size = piece.content().readableBytes();
        if (bytes + size > LIMIT) {
            return false;
        }
        bytes += size;
        ended |= piece instanceof LastHttpContent;
        pieces.add(piece);
        return true;
    }

    boolean isEmpty() {
        return pieces.isEmpty();
    }

    /** The last piece of the body is held: nothing more is to be read from the client. */
    boolean ended() {
        return ended;
    }

    /** Sends every piece on {@code connection}, keeping them for another attempt. */
    void sendCopies(UpstreamConnection connection) {
        for (int i = 0; i < pieces.size(); i++) {
            connection.sendBody(pieces.get(i).retainedDuplicate());
        }
    }

    /** Sends every piece on {@code connection}, which takes them over; nothing is held after. */
    void sendAll(UpstreamConnection connection) {
        for (int i = 0; i < pieces.size(); i++) {
            connection.sendBody(pieces.get(i));
        }
        pieces.clear();
        bytes = 0;
    }

    void release() {
        for (int i = 0; i < pieces.size(); i++) {
            pieces.get(i).release();
        }
        pieces.clear();
        bytes = 0;
    }
}
