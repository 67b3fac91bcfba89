package io.sluice.tls;

import java.net.URI;
import java.security.cert.X509Certificate;
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

    /**
     * What makes two loads' fetched staples the same: the certificate and where its responses come from. A
     * reload that keeps both keeps the staple (and its last good response) instead of starting without one.
     */
    record Key(X509Certificate certificate, URI responder) {
    }

    /** {@code responder} is where fresh responses are fetched, or null when they come from a file. */
    CertificateStaple(OcspCertificate certificate, URI responder, OcspStaple initial) {
        this.certificate = certificate;
        this.responder = responder;
        this.current = initial;
    }

    Key key() {
        return new Key(certificate.leaf(), responder);
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

    boolean fetched() {
        return responder != null;
    }

    /** The DER response to staple in a handshake starting now, or null. */
    byte[] responseAt(Instant now) {
        OcspStaple staple = current;
        return staple != null && staple.validAt(now) ? staple.response() : null;
    }
}
