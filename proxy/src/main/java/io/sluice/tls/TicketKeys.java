package io.sluice.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The session ticket keys shared by every certificate context of the process, so a ticket issued under
 * one certificate generation still resumes after a reload. The first key encrypts new tickets; the
 * previous one is kept for decryption only, so tickets stay valid for one more rotation period. Keys
 * live in memory only and are random per process. JDK contexts manage their own keys.
 */
final class TicketKeys {
    private final SecureRandom random = new SecureRandom();
    private volatile OpenSslSessionTicketKey[] keys;

    TicketKeys() {
        keys = new OpenSslSessionTicketKey[] {newKey()};
    }

    /** Makes a new encryption key and keeps the current one for decrypting older tickets. */
    void rotate() {
        keys = new OpenSslSessionTicketKey[] {newKey(), keys[0]};
    }

    /** Installs the current keys in a context; a no-op for the JDK provider. */
    void applyTo(SslContext context) {
        if (context.sessionContext() instanceof OpenSslSessionContext session) {
            session.setTicketKeys(Arrays.copyOf(keys, keys.length));
        }
    }

    private OpenSslSessionTicketKey newKey() {
        byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
        byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
        byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
        random.nextBytes(name);
        random.nextBytes(hmac);
        random.nextBytes(aes);
        return new OpenSslSessionTicketKey(name, hmac, aes);
    }
}
