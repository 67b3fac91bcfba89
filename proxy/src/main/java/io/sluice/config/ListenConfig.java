package io.sluice.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.sluice.util.HostAndPort;

/**
 * One listening address of a server block: a string {@code "0.0.0.0:8080"} or an object with options. A TCP
 * listener unless {@code http3 = true}: then it is a UDP socket speaking QUIC, always TLS 1.3 with the
 * block's certificates, usually on the same address and port as the block's TLS listener (a separate entry).
 */
public record ListenConfig(HostAndPort address, boolean tls, boolean http2, boolean proxyProtocol, boolean http3) {

    static ListenConfig read(ConfigValue value, String path, ConfigNode parent) {
        if (value.valueType() == ConfigValueType.STRING) {
            HostAndPort address = address(String.valueOf(value.unwrapped()), value, path, parent);
            return address == null ? null : new ListenConfig(address, false, false, false, false);
        }
        if (value instanceof ConfigObject object) {
            ConfigNode node = parent.nodeFor(object, path);
            String text = node.string("address", "");
            if (text.isEmpty()) {
                node.error("address", "required, e.g. \"0.0.0.0:8443\"");
            }
            boolean tls = node.bool("tls", false);
            boolean http2 = node.bool("http2", false);
            boolean proxyProtocol = node.bool("proxy-protocol", false);
            boolean http3 = node.bool("http3", false);
            if (http3 && (tls || http2 || proxyProtocol)) {
                // one entry is one socket: QUIC is UDP and carries its own TLS, so these TCP options mean nothing
                node.error("http3", "an http3 listener is a UDP socket and takes no tls/http2/proxy-protocol option;"
                        + " list the TCP listener as its own entry: { address = \"" + text + "\", tls = true }");
            }
            node.finish();
            HostAndPort address = text.isEmpty() ? null : address(text, value, path + ".address", parent);
            return address == null ? null : new ListenConfig(address, tls, http2, proxyProtocol, http3);
        }
        parent.problems().add(value.origin(), path, "expected \"host:port\" or { address = ..., tls = ..., http2 = ... }");
        return null;
    }

    /**
     * What makes a listener unique: its address, and for HTTP/3 that it is UDP, so that a TCP and a UDP
     * listener may share an address and port.
     */
    public String socketKey() {
        return http3 ? "udp/" + address : address.toString();
    }

    private static HostAndPort address(String text, ConfigValue value, String path, ConfigNode parent) {
        try {
            return HostAndPort.parse(text);
        } catch (IllegalArgumentException e) {
            parent.problems().add(value.origin(), path, "bad address \"" + text + "\": " + e.getMessage());
            return null;
        }
    }
}
