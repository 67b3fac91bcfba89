package io.sluice.testing;

/** Configurations of the TLS start-up tests: one server that answers "ok", with one certificate. */
public final class TlsTestConfigs {
    private TlsTestConfigs() {
    }

    /**
     * {@code listen}: the items of the server's {@code listen} list, as HOCON; {@code cert} and {@code key}: the
     * certificate chain and key files.
     */
    public static String answeringOk(String listen, Object cert, Object key) {
        return """
                sluice {
                  workers = 1
                  admin { listen = off }
                  access-log { format = off }
                  servers = [ {
                    listen = [ %s ]
                    tls { certificates = [ { cert = "%s", key = "%s" } ] }
                    locations = [ { match = "/", return { body = "ok" } } ]
                  } ]
                }""".formatted(listen, cert, key);
    }
}
