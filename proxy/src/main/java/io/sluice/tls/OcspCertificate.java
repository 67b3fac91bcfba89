package io.sluice.tls;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A certificate as OCSP names it (RFC 6960 §4.1.1, CertID): hashes of its issuer's name and public key, and
 * its serial number. Needs the issuer's certificate, which must follow the leaf in the certificate file.
 */
final class OcspCertificate {
    private static final String SHA1 = "1.3.14.3.2.26";
    private static final Map<String, String> HASHES = Map.of(
            SHA1, "SHA-1",
            "2.16.840.1.101.3.4.2.1", "SHA-256",
            "2.16.840.1.101.3.4.2.2", "SHA-384",
            "2.16.840.1.101.3.4.2.3", "SHA-512");
    private static final String AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
    private static final String AD_OCSP = "1.3.6.1.5.5.7.48.1";
    private static final int URI_NAME = 0x86;

    private final X509Certificate leaf;
    private final X509Certificate issuer;
    private final byte[] issuerKey;

    private OcspCertificate(X509Certificate leaf, X509Certificate issuer) {
        this.leaf = leaf;
        this.issuer = issuer;
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }: the key hash covers the bits
        this.issuerKey = Der.Value.parse(issuer.getPublicKey().getEncoded()).children().get(1).bits();
    }

    /** The leaf of a chain and its issuer, which must be in the chain. */
    static OcspCertificate of(X509Certificate[] chain) throws GeneralSecurityException {
        X509Certificate leaf = chain[0];
        for (int i = 1; i < chain.length; i++) {
            if (chain[i].getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                leaf.verify(chain[i].getPublicKey());
                return new OcspCertificate(leaf, chain[i]);
            }
        }
        throw new GeneralSecurityException("OCSP needs the issuer's certificate (" + leaf.getIssuerX500Principal()
                + ") after the leaf in the cert file (a full chain)");
    }

    X509Certificate leaf() {
        return leaf;
    }

    X509Certificate issuer() {
        return issuer;
    }

    /** Whether a CertID names this certificate, under whichever hash algorithm the CertID uses. */
    boolean matches(Der.Value certId) throws GeneralSecurityException {
        List<Der.Value> fields = certId.expect(Der.SEQUENCE).children();
        String algorithm = HASHES.get(fields.get(0).children().get(0).oid());
        if (algorithm == null) {
            return false;
        }
        return Arrays.equals(fields.get(1).expect(Der.OCTET_STRING).contents(), nameHash(algorithm))
                && Arrays.equals(fields.get(2).expect(Der.OCTET_STRING).contents(), keyHash(algorithm))
                && fields.get(3).integer().equals(leaf.getSerialNumber());
    }

    /**
     * An OCSPRequest for this certificate: one request, SHA-1 CertID, no nonce, unsigned (RFC 5019, which
     * responders and their caches expect).
     */
    byte[] request() throws NoSuchAlgorithmException {
        byte[] certId = Der.sequence(
                Der.sequence(Der.oid(SHA1), Der.nullValue()),
                Der.octetString(nameHash("SHA-1")),
                Der.octetString(keyHash("SHA-1")),
                Der.integer(leaf.getSerialNumber()));
        byte[] requestList = Der.sequence(Der.sequence(certId));
        return Der.sequence(Der.sequence(requestList));
    }

    /** The OCSP responder URL of the certificate's Authority Information Access extension, or null. */
    URI responder() {
        byte[] extension = leaf.getExtensionValue(AUTHORITY_INFO_ACCESS);
        if (extension == null) {
            return null;
        }
        try {
            Der.Value access = Der.Value.parse(Der.Value.parse(extension).expect(Der.OCTET_STRING).contents());
            for (Der.Value description : access.expect(Der.SEQUENCE).children()) {
                List<Der.Value> fields = description.children();
                if (fields.get(0).oid().equals(AD_OCSP) && fields.get(1).tag() == URI_NAME) {
                    return new URI(new String(fields.get(1).contents(), StandardCharsets.US_ASCII));
                }
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException | URISyntaxException malformed) {
            return null;
        }
        return null;
    }

    private byte[] nameHash(String algorithm) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance(algorithm).digest(leaf.getIssuerX500Principal().getEncoded());
    }

    private byte[] keyHash(String algorithm) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance(algorithm).digest(issuerKey);
    }
}
