package io.sluice.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation terminates connections: BoringSSL through netty-tcnative (reference-counted
 * contexts, so a replaced certificate is freed when its last connection ends) when its native
 * library loads (faster handshakes and bulk crypto, session ticket keys we control), else the JDK's. The
 * choice is made and logged once per process.
 */
public final class TlsProvider {
    private static final Logger log = LoggerFactory.getLogger(TlsProvider.class);
    private static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";
    private static final SslProvider PROVIDER = choose();

    private TlsProvider() {
    }

    public static SslProvider provider() {
        return PROVIDER;
    }

    public static boolean nativeSsl() {
        return PROVIDER == SslProvider.OPENSSL_REFCNT;
    }

    /** A one-line description, for {@code --version} and the admin status. */
    public static String describe() {
        return nativeSsl() ? "BoringSSL (" + OpenSsl.versionString() + ")"
                : "JDK (native TLS unavailable: " + OpenSsl.unavailabilityCause() + ")";
    }

    private static SslProvider choose() {
        if (OpenSsl.isAvailable()) {
            log.info("TLS provider: {}", OpenSsl.versionString());
            return SslProvider.OPENSSL_REFCNT;
        }
        // The JDK's server accepts a TLS 1.2 client's request for a new handshake unless this is set, and a
        // client can ask again and again, each time for a full key exchange and signature (BoringSSL refuses,
        // as nginx does). The JDK reads it when its first server handshake starts, which is after this choice.
        if (System.getProperty(REJECT_RENEGOTIATION) == null) {
            System.setProperty(REJECT_RENEGOTIATION, "true");
        }
        log.warn("TLS provider: JDK; the native BoringSSL library did not load ({}); session ticket keys are"
                + " the JDK's own and handshakes are slower", String.valueOf(OpenSsl.unavailabilityCause()));
        return SslProvider.JDK;
    }
}
