package io.sluice.tls;

import javax.crypto.KeyAgreement;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificate chains and private keys. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}) or the
 * traditional OpenSSL forms {@code BEGIN RSA PRIVATE KEY} (PKCS#1) and {@code BEGIN EC PRIVATE KEY}
 * (SEC 1), which are wrapped into PKCS#8 here so that no extra library is needed. Encrypted keys are
 * refused with a message that says how to decrypt them. Blocking file I/O: call off the event loops.
 */
final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
    /** 1.2.840.113549.1.1.1 rsaEncryption. */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** 1.2.840.10045.2.1 id-ecPublicKey. */
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    /** 1.3.101.112 id-Ed25519. */
    private static final byte[] ED25519_OID = {0x06, 0x03, 0x2b, 0x65, 0x70};
    /** 1.3.101.113 id-Ed448. */
    private static final byte[] ED448_OID = {0x06, 0x03, 0x2b, 0x65, 0x71};
    private static final byte[] ASN1_NULL = {0x05, 0x00};

    private PemFiles() {
    }

    /** The chain in file order: the leaf first, then its intermediates. */
    static X509Certificate[] certificates(Path file) throws IOException, CertificateException {
        byte[] bytes = Files.readAllBytes(file);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = factory.generateCertificates(new ByteArrayInputStream(bytes)).stream()
                .map(X509Certificate.class::cast).toList();
        if (chain.isEmpty()) {
            throw new CertificateException(file + ": no PEM certificate (-----BEGIN CERTIFICATE-----) found");
        }
        return chain.toArray(new X509Certificate[0]);
    }

    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            String type = matcher.group(1);
            String body = matcher.group(2);
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(decode(body), file);
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
                    if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
                        throw encrypted(file);
                    }
                    byte[] der = decode(body);
                    return pkcs8("RSA PRIVATE KEY".equals(type) ? wrapRsa(der) : wrapEc(der, file), file);
                }
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(file);
                default -> {
                    // certificates or parameters stored in the same file come before or after the key
                }
            }
        }
        throw new GeneralSecurityException(file + ": no private key found (expected -----BEGIN PRIVATE KEY-----,"
                + " -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
    }

    /**
     * Fails unless {@code key} is the private half of the leaf certificate's public key, so a key replaced
     * without its certificate is caught at load time, not at every handshake. An RSA key carries its public
     * half (modulus and exponent), compared as it is. An EC key usually carries its public point too (SEC 1's
     * optional {@code publicKey}, which OpenSSL writes), compared byte for byte with the certificate's, as
     * OpenSSL's own check compares the two public keys; without it, the point is the key's scalar times the
     * curve's generator, whose x coordinate an ECDH agreement with the generator computes: two scalar
     * multiplications, some 30 ms of a start in interpreted code. Other keys sign a probe.
     */
    static void checkKeyMatches(PrivateKey key, X509Certificate leaf, Path keyFile, Path certFile)
            throws GeneralSecurityException {
        PublicKey certified = leaf.getPublicKey();
        boolean matches;
        if (key instanceof RSAPrivateCrtKey rsa && certified instanceof RSAPublicKey rsaPublic) {
            matches = rsa.getModulus().equals(rsaPublic.getModulus())
                    && rsa.getPublicExponent().equals(rsaPublic.getPublicExponent());
        } else if (key instanceof ECPrivateKey ec && certified instanceof ECPublicKey ecPublic) {
            byte[] stored = storedPublicPoint(ec);
            matches = stored != null ? Arrays.equals(stored, subjectPublicKey(ecPublic))
                    : publicX(ec).equals(ecPublic.getW().getAffineX());
        } else {
            matches = signatureVerifies(key, certified);
        }
        if (!matches) {
            throw new GeneralSecurityException(keyFile + " is not the private key of the certificate in " + certFile);
        }
    }

    /**
     * The public point stored with an EC key: the contents of the BIT STRING in the {@code [1] publicKey}
     * field of the SEC 1 structure its PKCS#8 encoding wraps; null when the key has none or its encoding is
     * not that shape.
     */
    private static byte[] storedPublicPoint(ECPrivateKey key) {
        byte[] pkcs8 = key.getEncoded();
        if (pkcs8 == null) {
            return null;
        }
        try {
            // PrivateKeyInfo { version, algorithm, OCTET STRING privateKey, [0] attributes OPTIONAL }
            Der info = new Der(pkcs8, 0);
            Der version = new Der(pkcs8, info.contentStart);
            Der algorithm = new Der(pkcs8, version.end);
            Der privateKey = new Der(pkcs8, algorithm.end);
            if (privateKey.tag != 0x04) {
                return null;
            }
            // ECPrivateKey { version, OCTET STRING key, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
            Der sec1 = new Der(pkcs8, privateKey.contentStart);
            int position = sec1.contentStart;
            while (position < sec1.end) {
                Der field = new Der(pkcs8, position);
                if (field.tag == 0xa1) {
                    Der point = new Der(pkcs8, field.contentStart);
                    return point.tag == 0x03 ? Arrays.copyOfRange(pkcs8, point.contentStart, point.end) : null;
                }
                position = field.end;
            }
            return null;
        } catch (ArrayIndexOutOfBoundsException truncated) {
            return null;
        }
    }

    /** The contents of the BIT STRING in a key's SubjectPublicKeyInfo {@code { algorithm, subjectPublicKey }}. */
    private static byte[] subjectPublicKey(PublicKey key) {
        byte[] info = key.getEncoded();
        Der algorithm = new Der(info, new Der(info, 0).contentStart);
        Der point = new Der(info, algorithm.end);
        return Arrays.copyOfRange(info, point.contentStart, point.end);
    }

    /** The x coordinate of {@code key}'s public point (the point's y is fixed up to sign by its curve). */
    private static BigInteger publicX(ECPrivateKey key) throws GeneralSecurityException {
        ECParameterSpec curve = key.getParams();
        PublicKey generator = KeyFactory.getInstance("EC")
                .generatePublic(new ECPublicKeySpec(curve.getGenerator(), curve));
        KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
        agreement.init(key);
        agreement.doPhase(generator, true);
        return new BigInteger(1, agreement.generateSecret());
    }

    private static boolean signatureVerifies(PrivateKey key, PublicKey certified) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = "sluice key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certified);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (InvalidKeyException | SignatureException e) {
            return false;
        }
    }

    private static GeneralSecurityException encrypted(Path file) {
        return new GeneralSecurityException(file + ": the private key is encrypted; store it decrypted"
                + " (openssl pkey -in " + file.getFileName() + " -out key.pem) and restrict the file's permissions");
    }

    private static byte[] decode(String body) {
        return Base64.getMimeDecoder().decode(body);
    }

    /**
     * The key's own algorithm is tried first: a key factory that refuses a key asks every other security
     * provider for the same algorithm, which loads and initialises all of them.
     */
    private static PrivateKey pkcs8(byte[] der, Path file) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        String named = algorithmOf(der);
        List<String> algorithms = new ArrayList<>(List.of("RSA", "EC", "Ed25519", "Ed448"));
        if (named != null) {
            algorithms.remove(named);
            algorithms.add(0, named);
        }
        for (String algorithm : algorithms) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException wrongAlgorithm) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(file + ": unsupported or malformed private key (RSA, EC and Ed25519 keys"
                + " are supported)");
    }

    /**
     * The algorithm a PKCS#8 PrivateKeyInfo {@code { version, { algorithm OID, parameters }, key }} names,
     * or null when it is none of those known here or the structure is malformed (the key factories then
     * say what is wrong).
     */
    private static String algorithmOf(byte[] pkcs8) {
        try {
            Der info = new Der(pkcs8, 0);
            Der version = new Der(pkcs8, info.contentStart);
            Der identifier = new Der(pkcs8, version.end);
            Der oid = new Der(pkcs8, identifier.contentStart);
            byte[] named = Arrays.copyOfRange(pkcs8, identifier.contentStart, oid.end);
            if (Arrays.equals(named, RSA_OID)) {
                return "RSA";
            }
            if (Arrays.equals(named, EC_OID)) {
                return "EC";
            }
            if (Arrays.equals(named, ED25519_OID)) {
                return "Ed25519";
            }
            return Arrays.equals(named, ED448_OID) ? "Ed448" : null;
        } catch (ArrayIndexOutOfBoundsException truncated) {
            return null;
        }
    }

    /** PKCS#8 PrivateKeyInfo { version 0, { rsaEncryption, NULL }, OCTET STRING pkcs1 }. */
    private static byte[] wrapRsa(byte[] pkcs1) {
        return sequence(new byte[] {0x02, 0x01, 0x00}, sequence(RSA_OID, ASN1_NULL), tlv(0x04, pkcs1));
    }

    /** PKCS#8 PrivateKeyInfo { version 0, { id-ecPublicKey, curve }, OCTET STRING sec1 }. */
    private static byte[] wrapEc(byte[] sec1, Path file) throws GeneralSecurityException {
        byte[] curve = ecCurve(sec1);
        if (curve == null) {
            throw new GeneralSecurityException(file + ": the EC private key does not name its curve; convert it with"
                    + " openssl pkcs8 -topk8 -nocrypt");
        }
        return sequence(new byte[] {0x02, 0x01, 0x00}, sequence(EC_OID, curve), tlv(0x04, sec1));
    }

    /** The curve OID (with its tag and length) from the {@code [0] parameters} field of a SEC 1 key. */
    private static byte[] ecCurve(byte[] sec1) {
        Der outer = new Der(sec1, 0);
        if (outer.tag != 0x30) {
            return null;
        }
        int position = outer.contentStart;
        while (position < outer.end) {
            Der field = new Der(sec1, position);
            if (field.tag == 0xa0) {
                Der oid = new Der(sec1, field.contentStart);
                return oid.tag == 0x06 ? Arrays.copyOfRange(sec1, field.contentStart, oid.end) : null;
            }
            position = field.end;
        }
        return null;
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        return tlv(0x30, content.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** One DER element's tag and bounds. */
    private static final class Der {
        final int tag;
        final int contentStart;
        final int end;

        Der(byte[] data, int offset) {
            tag = data[offset] & 0xff;
            int length = data[offset + 1] & 0xff;
            int start = offset + 2;
            if (length >= 0x80) {
                int count = length & 0x7f;
                length = 0;
                for (int i = 0; i < count; i++) {
                    length = (length << 8) | (data[start + i] & 0xff);
                }
                start += count;
            }
            contentStart = start;
            end = Math.min(data.length, start + length);
        }
    }
}
