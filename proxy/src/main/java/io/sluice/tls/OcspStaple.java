package io.sluice.tls;

import java.time.Instant;

/**
 * A verified OCSP response for one certificate, as sent in the handshake, and the window it is valid in.
 * {@code nextUpdate} is null when the responder gave none (newer status is always available).
 */
record OcspStaple(byte[] response, Instant thisUpdate, Instant nextUpdate) {

    boolean validAt(Instant now) {
        return nextUpdate == null || now.isBefore(nextUpdate);
    }
}
