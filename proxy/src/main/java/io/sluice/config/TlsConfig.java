package io.sluice.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code tls} block of a server block: its certificates (chosen per handshake by SNI), the protocol
 * versions and cipher suites it accepts, session lifetime, and how often the certificate files are checked
 * for changes. Session resumption is always on: tickets under process-wide keys that rotate every
 * {@code ticket-key-rotation}, plus the server-side session cache. The defaults are the modern profile:
 * TLS 1.2 and 1.3 only, forward-secret AEAD suites only. With {@code ocsp-stapling} the certificates'
 * OCSP responses are fetched from their responders ({@code ocsp-responder} overrides the URL the
 * certificates name; null: theirs) and stapled.
 */
public record TlsConfig(List<CertificateConfig> certificates, List<String> protocols, List<String> ciphers,
                        Duration ticketKeyRotation, Duration sessionTimeout,
                        Duration watchInterval, boolean ocspStapling, URI ocspResponder) {

    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** TLS 1.2 suites; TLS 1.3 suites (all AEAD, all forward secret) are always on in BoringSSL. */
    public static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final Set<String> SUPPORTED_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

    /**
     * One certificate chain and its private key, both PEM files, and optionally a DER OCSP response to
     * staple for it ({@code null}: none from a file).
     */
    public record CertificateConfig(Path cert, Path key, Path ocspResponse) {
    }

    static TlsConfig read(ConfigNode node, Path baseDirectory) {
        List<CertificateConfig> certificates = new ArrayList<>();
        for (ConfigNode entry : node.objects("certificates")) {
            Path cert = file(entry, "cert", baseDirectory);
            Path key = file(entry, "key", baseDirectory);
            Path ocspResponse = entry.has("ocsp-response") ? file(entry, "ocsp-response", baseDirectory) : null;
            entry.finish();
            if (cert != null && key != null) {
                certificates.add(new CertificateConfig(cert, key, ocspResponse));
            }
        }
        if (certificates.isEmpty() && !node.has("certificates")) {
            node.error("certificates", "required: [ { cert = \"fullchain.pem\", key = \"privkey.pem\" } ]");
        }
        List<String> protocols = node.strings("protocols", DEFAULT_PROTOCOLS);
        for (String protocol : protocols) {
            if (!SUPPORTED_PROTOCOLS.contains(protocol)) {
                node.error("protocols", "\"" + protocol + "\" is not supported: use TLSv1.3 and/or TLSv1.2"
                        + " (TLS 1.1 and older are insecure and refused)");
            }
        }
        if (protocols.isEmpty()) {
            node.error("protocols", "needs at least one of TLSv1.3, TLSv1.2");
        }
        List<String> ciphers = node.strings("ciphers", DEFAULT_CIPHERS);
        if (ciphers.isEmpty()) {
            node.error("ciphers", "needs at least one cipher suite");
        }
        Duration rotation = ConfigChecks.positive(node, "ticket-key-rotation", Duration.ofHours(1));
        Duration sessionTimeout = ConfigChecks.positive(node, "session-timeout", Duration.ofHours(1));
        Duration watchInterval = node.duration("watch-interval", Duration.ofSeconds(60));
        if (watchInterval.isNegative()) {
            node.error("watch-interval", "must not be negative (0 turns the check off)");
        }
        boolean ocspStapling = node.bool("ocsp-stapling", false);
        URI ocspResponder = responder(node, ocspStapling);
        node.finish();
        return new TlsConfig(List.copyOf(certificates), List.copyOf(protocols), List.copyOf(ciphers),
                rotation, sessionTimeout, watchInterval.isNegative() ? Duration.ZERO : watchInterval,
                ocspStapling, ocspResponder);
    }

    private static URI responder(ConfigNode node, boolean ocspStapling) {
        String text = node.string("ocsp-responder", "");
        if (text.isEmpty()) {
            return null;
        }
        if (!ocspStapling) {
            node.error("ocsp-responder", "only used with ocsp-stapling = true");
            return null;
        }
        try {
            URI uri = new URI(text);
            // as in nginx: responders are plain HTTP (the response is signed; fetching it over TLS would need
            // revocation checks of its own)
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                node.error("ocsp-responder", "must be an http:// URL, e.g. \"http://ocsp.example.com/\"");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            node.error("ocsp-responder", "not a URL: " + e.getMessage());
            return null;
        }
    }

    private static Path file(ConfigNode entry, String key, Path baseDirectory) {
        String text = entry.string(key, "");
        if (text.isEmpty()) {
            entry.error(key, "required: a file name");
            return null;
        }
        Path path = baseDirectory.resolve(text).normalize();
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            entry.error(key, "cannot read " + path);
            return null;
        }
        return path;
    }
}
