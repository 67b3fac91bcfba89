package io.sluice.tls;

import java.net.URI;
import java.time.Instant;

/**
 * The OCSP response stapled for one certificate right now, if any. Read on event loops for each handshake,
 * written by whoever obtains a newer verified response (a certificate load, or the fetcher on the blocking
 * pool); a response past its nextUpdate is no longer stapled even before a newer one arrives.
 */
final class CertificateStaple {
    private final OcspCertificate certificate;
    private final URI responder;
    private volatile OcspStaple current;

    /** {@code responder} is where fresh responses are fetched, or null when they come from a file. */
    CertificateStaple(OcspCertificate certificate, URI responder, OcspStaple initial) {
        this.certificate = certificate;
        this.responder = responder;
        this.current = initial;
    }

    OcspCertificate certificate() {
        return certificate;
    }

    URI responder() {
        return responder;
    }

    OcspStaple current() {
        return current;
    }

    void update(OcspStaple staple) {
        current = staple;
    }

    /** The DER response to staple in a handshake starting now, or null. */
    byte[] responseAt(Instant now) {
        OcspStaple staple = current;
        return staple != null && staple.validAt(now) ? staple.response() : null;
    }
}
