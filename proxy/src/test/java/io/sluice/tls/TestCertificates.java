package io.sluice.tls;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority made at test time with the {@code openssl} command, and leaf
 * certificates it signs. Nothing is committed: every run makes new keys in a temporary directory.
 */
final class TestCertificates {
    /** How a leaf's private key is stored. */
    enum KeyFormat { EC_PKCS8, EC_TRADITIONAL, RSA_PKCS8, RSA_TRADITIONAL, RSA_ENCRYPTED }

    private final Path directory;
    private final Path caKey;
    private final Path caCert;

    private TestCertificates(Path directory) {
        this.directory = directory;
        this.caKey = directory.resolve("ca.key");
        this.caCert = directory.resolve("ca.pem");
    }

    static TestCertificates create(Path directory) throws IOException, InterruptedException {
        TestCertificates certificates = new TestCertificates(directory);
        openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice Test CA");
        return certificates;
    }

    Path directory() {
        return directory;
    }

    /**
     * Issues {@code <name>.pem} (leaf followed by the CA, a full chain) and {@code <name>.key} for the
     * given DNS names (the first is also the common name) plus IP 127.0.0.1.
     */
    Leaf issue(String name, KeyFormat format, String... dnsNames) throws IOException, InterruptedException {
        return issueWith(name, format, "", dnsNames);
    }

    /**
     * Issues a leaf as {@link #issue(String, KeyFormat, String...)} does, with extra lines of the OpenSSL
     * extension file (such as {@code authorityInfoAccess=OCSP;URI:http://...} or {@code extendedKeyUsage}).
     */
    Leaf issueWith(String name, KeyFormat format, String extraExtensions, String... dnsNames)
            throws IOException, InterruptedException {
        Path key = directory.resolve(name + ".key");
        Path tmpKey = directory.resolve(name + ".tmp.key");
        boolean rsa = format == KeyFormat.RSA_PKCS8 || format == KeyFormat.RSA_TRADITIONAL
                || format == KeyFormat.RSA_ENCRYPTED;
        if (rsa) {
            openssl(directory, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", tmpKey.toString());
        } else {
            openssl(directory, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", tmpKey.toString());
        }
        List<String> san = new ArrayList<>();
        for (String dns : dnsNames) {
            san.add("DNS:" + dns);
        }
        san.add("IP:127.0.0.1");
        Path extensions = directory.resolve(name + ".ext");
        Files.writeString(extensions, "subjectAltName=" + String.join(",", san) + "\nbasicConstraints=CA:FALSE\n"
                + extraExtensions + "\n");
        Path csr = directory.resolve(name + ".csr");
        Path leaf = directory.resolve(name + ".leaf.pem");
        openssl(directory, "req", "-new", "-key", tmpKey.toString(), "-subj", "/CN=" + dnsNames[0], "-out", csr.toString());
        openssl(directory, "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", String.valueOf(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE)), "-days", "2",
                "-extfile", extensions.toString(), "-out", leaf.toString());
        Path chain = directory.resolve(name + ".pem");
        Files.writeString(chain, Files.readString(leaf) + Files.readString(caCert));
        switch (format) {
            case EC_PKCS8, RSA_PKCS8 -> Files.move(tmpKey, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            case EC_TRADITIONAL, RSA_TRADITIONAL -> openssl(directory, "pkey", "-in", tmpKey.toString(), "-traditional",
                    "-out", key.toString());
            case RSA_ENCRYPTED -> openssl(directory, "rsa", "-in", tmpKey.toString(), "-traditional", "-aes256",
                    "-passout", "pass:secret", "-out", key.toString());
        }
        Files.deleteIfExists(tmpKey);
        Files.delete(csr);
        Files.delete(leaf);
        Files.delete(extensions);
        return new Leaf(chain, key, read(chain));
    }

    /** A client context that trusts only this test CA. */
    SSLContext clientContext(String... protocols) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", read(caCert));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance(protocols.length == 1 ? protocols[0] : "TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    Path caCertificate() {
        return caCert;
    }

    Path caKey() {
        return caKey;
    }

    static X509Certificate read(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(e);
        }
    }

    /** A leaf certificate's chain and key files, and the leaf itself. */
    record Leaf(Path chain, Path key, X509Certificate certificate) {
    }

    static String run(Path directory, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": timed out");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + text);
        }
        return text;
    }

    static void openssl(Path directory, String... arguments) throws IOException, InterruptedException {
        String[] command = new String[arguments.length + 1];
        command[0] = "openssl";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        run(directory, command);
    }
}
