package io.sluice.tls;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Checks that a DER OCSPResponse (RFC 6960 §4.2) may be stapled for a certificate: the response is
 * successful and basic, one of its SingleResponses names the certificate and says it is good, its
 * thisUpdate/nextUpdate window holds now, and it is signed by the issuer or by a responder certificate the
 * issuer delegated OCSP signing to. Anything else is refused with the reason: a client that asked for the
 * status hard-fails on a revoked or broken staple, where it only soft-fails on a missing one.
 */
final class OcspResponses {
    /** Clock difference tolerated between us and the responder, as OpenSSL and nginx allow. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final String BASIC = "1.3.6.1.5.5.7.48.1.1";
    private static final String OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
    private static final Map<String, String> SIGNATURES = Map.ofEntries(
            Map.entry("1.2.840.113549.1.1.5", "SHA1withRSA"),
            Map.entry("1.2.840.113549.1.1.11", "SHA256withRSA"),
            Map.entry("1.2.840.113549.1.1.12", "SHA384withRSA"),
            Map.entry("1.2.840.113549.1.1.13", "SHA512withRSA"),
            Map.entry("1.2.840.10045.4.1", "SHA1withECDSA"),
            Map.entry("1.2.840.10045.4.3.2", "SHA256withECDSA"),
            Map.entry("1.2.840.10045.4.3.3", "SHA384withECDSA"),
            Map.entry("1.2.840.10045.4.3.4", "SHA512withECDSA"),
            Map.entry("1.3.101.112", "Ed25519"),
            Map.entry("1.3.101.113", "Ed448"));
    private static final String[] STATUSES = {"successful", "malformedRequest", "internalError", "tryLater",
        "(4: unused)", "sigRequired", "unauthorized"};

    private OcspResponses() {
    }

    /** A response that must not be stapled, and why. */
    static final class RefusedException extends Exception {
        RefusedException(String message) {
            super(message);
        }

        RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static OcspStaple verify(byte[] response, OcspCertificate certificate, Instant now) throws RefusedException {
        try {
            return check(response, certificate, now);
        } catch (IllegalArgumentException | IndexOutOfBoundsException malformed) {
            throw new RefusedException("not a DER OCSPResponse: " + malformed.getMessage(), malformed);
        } catch (GeneralSecurityException e) {
            throw new RefusedException("cannot check the OCSP response signature: " + e.getMessage(), e);
        }
    }

    private static OcspStaple check(byte[] response, OcspCertificate certificate, Instant now)
            throws RefusedException, GeneralSecurityException {
        List<Der.Value> outer = Der.Value.parse(response).expect(Der.SEQUENCE).children();
        int status = outer.get(0).expect(Der.ENUMERATED).contents()[0];
        if (status != 0) {
            throw new RefusedException("the OCSP response status is "
                    + (status > 0 && status < STATUSES.length ? STATUSES[status] : String.valueOf(status)));
        }
        List<Der.Value> responseBytes = outer.get(1).explicit().expect(Der.SEQUENCE).children();
        if (!responseBytes.get(0).oid().equals(BASIC)) {
            throw new RefusedException("not a basic OCSP response (" + responseBytes.get(0).oid() + ")");
        }
        byte[] basicDer = responseBytes.get(1).expect(Der.OCTET_STRING).contents();
        List<Der.Value> basic = Der.Value.parse(basicDer).expect(Der.SEQUENCE).children();
        Der.Value tbs = basic.get(0).expect(Der.SEQUENCE);
        String algorithm = SIGNATURES.get(basic.get(1).children().get(0).oid());
        if (algorithm == null) {
            throw new RefusedException("unsupported OCSP signature algorithm " + basic.get(1).children().get(0).oid());
        }
        byte[] signature = basic.get(2).bits();
        List<X509Certificate> included = basic.size() > 3 && basic.get(3).isContextTag(0)
                ? certificates(basic.get(3).explicit()) : List.of();
        checkSigner(tbs.encoded(), algorithm, signature, included, certificate.issuer(), now);

        List<Der.Value> data = tbs.children();
        int index = data.get(0).isContextTag(0) ? 1 : 0; // version, v1 by default
        // responderID, producedAt, then the responses
        for (Der.Value single : data.get(index + 2).expect(Der.SEQUENCE).children()) {
            List<Der.Value> fields = single.children();
            if (certificate.matches(fields.get(0))) {
                return singleResponse(response, fields, now);
            }
        }
        throw new RefusedException("the OCSP response is not for this certificate (serial "
                + certificate.leaf().getSerialNumber().toString(16) + ")");
    }

    private static OcspStaple singleResponse(byte[] response, List<Der.Value> fields, Instant now)
            throws RefusedException {
        Der.Value status = fields.get(1);
        if (status.isContextTag(1)) {
            throw new RefusedException("the OCSP response says the certificate is revoked");
        }
        if (!status.isContextTag(0)) {
            throw new RefusedException("the OCSP responder does not know the certificate (status unknown)");
        }
        Instant thisUpdate = fields.get(2).generalizedTime();
        Instant nextUpdate = null;
        for (int i = 3; i < fields.size(); i++) {
            if (fields.get(i).isContextTag(0)) {
                nextUpdate = fields.get(i).explicit().generalizedTime();
            }
        }
        if (thisUpdate.isAfter(now.plus(CLOCK_SKEW))) {
            throw new RefusedException("the OCSP response is not valid yet (thisUpdate " + thisUpdate + ")");
        }
        OcspStaple staple = new OcspStaple(response, thisUpdate, nextUpdate);
        if (!staple.validAt(now)) {
            throw new RefusedException("the OCSP response has expired (nextUpdate " + nextUpdate + ")");
        }
        return staple;
    }

    /**
     * The issuer signed the response, or a certificate the response carries that the issuer signed, that is
     * valid now and that has the OCSP-signing extended key usage (RFC 6960 §4.2.2.2).
     */
    private static void checkSigner(byte[] signed, String algorithm, byte[] signature, List<X509Certificate> included,
                                    X509Certificate issuer, Instant now)
            throws RefusedException, GeneralSecurityException {
        if (verifies(signed, algorithm, signature, issuer.getPublicKey())) {
            return;
        }
        for (X509Certificate responder : included) {
            if (!verifies(signed, algorithm, signature, responder.getPublicKey())) {
                continue;
            }
            String name = "the OCSP responder certificate " + responder.getSubjectX500Principal();
            if (!issuedBy(responder, issuer)) {
                throw new RefusedException(name + " was not issued by the certificate's issuer");
            }
            List<String> usages = responder.getExtendedKeyUsage();
            if (usages == null || !usages.contains(OCSP_SIGNING)) {
                throw new RefusedException(name + " is not authorised for OCSP signing");
            }
            try {
                responder.checkValidity(Date.from(now));
            } catch (GeneralSecurityException e) {
                throw new RefusedException(name + " is not valid now: " + e.getMessage(), e);
            }
            return;
        }
        throw new RefusedException("the OCSP response is not signed by the certificate's issuer or a responder"
                + " it delegated to");
    }

    private static boolean issuedBy(X509Certificate responder, X509Certificate issuer) {
        if (!responder.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            responder.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException notSignedByIssuer) {
            return false;
        }
    }

    private static boolean verifies(byte[] signed, String algorithm, byte[] signature, PublicKey key)
            throws GeneralSecurityException {
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(key);
        } catch (InvalidKeyException otherKeyType) {
            return false;
        }
        verifier.update(signed);
        try {
            return verifier.verify(signature);
        } catch (SignatureException malformedForThisKey) {
            return false;
        }
    }

    private static List<X509Certificate> certificates(Der.Value sequence) throws GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certificates = new ArrayList<>();
        for (Der.Value certificate : sequence.expect(Der.SEQUENCE).children()) {
            certificates.add((X509Certificate) factory.generateCertificate(
                    new ByteArrayInputStream(certificate.encoded())));
        }
        return certificates;
    }
}
