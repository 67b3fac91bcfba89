package io.sluice.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A key that is not the certificate's is refused at load, whichever way the pair is compared: RSA by its
 * public half, EC by the public point stored with the key or, without one, computed from it, other
 * algorithms by a signature.
 */
class PemFilesTest {
    @TempDir
    static Path directory;
    private static TestCertificates.Leaf ec;
    private static TestCertificates.Leaf otherEc;
    private static TestCertificates.Leaf rsa;
    private static TestCertificates.Leaf otherRsa;

    @BeforeAll
    static void issue() throws Exception {
        TestCertificates certificates = TestCertificates.create(directory);
        ec = certificates.issue("ec", TestCertificates.KeyFormat.EC_PKCS8, "ec.test");
        otherEc = certificates.issue("other-ec", TestCertificates.KeyFormat.EC_TRADITIONAL, "ec.test");
        rsa = certificates.issue("rsa", TestCertificates.KeyFormat.RSA_TRADITIONAL, "rsa.test");
        otherRsa = certificates.issue("other-rsa", TestCertificates.KeyFormat.RSA_PKCS8, "rsa.test");
    }

    private static void check(Path key, Path chain) throws Exception {
        PrivateKey privateKey = PemFiles.privateKey(key);
        X509Certificate leaf = PemFiles.certificates(chain)[0];
        PemFiles.checkKeyMatches(privateKey, leaf, key, chain);
    }

    private static void assertMismatch(Path key, Path chain) {
        GeneralSecurityException refused = assertThrows(GeneralSecurityException.class, () -> check(key, chain));
        assertEquals(key + " is not the private key of the certificate in " + chain, refused.getMessage());
    }

    @Test
    void anEcKeyMatchesOnlyItsOwnCertificate() {
        assertDoesNotThrow(() -> check(ec.key(), ec.chain()));
        assertDoesNotThrow(() -> check(otherEc.key(), otherEc.chain()));
        assertMismatch(otherEc.key(), ec.chain());
        assertMismatch(ec.key(), otherEc.chain());
    }

    @Test
    void anEcKeyWithoutItsPublicPointIsCheckedByComputingIt() throws Exception {
        Path bare = directory.resolve("ec-no-public.key");
        Path otherBare = directory.resolve("other-ec-no-public.key");
        String output = TestCertificates.run(directory, "openssl", "ec", "-in", ec.key().toString(), "-no_public",
                "-out", bare.toString());
        output += TestCertificates.run(directory, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in",
                otherEc.key().toString(), "-out", directory.resolve("other-ec.pk8").toString());
        output += TestCertificates.run(directory, "openssl", "ec", "-in", directory.resolve("other-ec.pk8").toString(),
                "-no_public", "-out", otherBare.toString());
        assertTrue(bare.toFile().isFile() && otherBare.toFile().isFile(), output);
        assertDoesNotThrow(() -> check(bare, ec.chain()));
        assertMismatch(bare, otherEc.chain());
        assertMismatch(otherBare, ec.chain());
    }

    @Test
    void anRsaKeyMatchesOnlyItsOwnCertificate() {
        assertDoesNotThrow(() -> check(rsa.key(), rsa.chain()));
        assertDoesNotThrow(() -> check(otherRsa.key(), otherRsa.chain()));
        assertMismatch(otherRsa.key(), rsa.chain());
    }

    @Test
    void aKeyOfAnotherAlgorithmThanTheCertificatesDoesNotMatch() {
        assertMismatch(rsa.key(), ec.chain());
        assertMismatch(ec.key(), rsa.chain());
    }

    @Test
    void anEd25519KeyIsCheckedByASignature() throws Exception {
        String output = TestCertificates.run(directory, "openssl", "req", "-x509", "-newkey", "ed25519", "-nodes",
                "-keyout", "ed.key", "-out", "ed.pem", "-days", "2", "-subj", "/CN=ed.test");
        Path key = directory.resolve("ed.key");
        Path chain = directory.resolve("ed.pem");
        assertTrue(key.toFile().isFile(), output);
        assertEquals("EdDSA", PemFiles.privateKey(key).getAlgorithm(), "the JDK names Ed25519 keys EdDSA");
        assertDoesNotThrow(() -> check(key, chain));
        assertMismatch(ec.key(), chain);
        assertMismatch(key, ec.chain());
    }
}
