package io.sluice.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.sluice.util.HostAndPort;

/** One listening address of a server block: a string {@code "0.0.0.0:8080"} or an object with options. */
public record ListenConfig(HostAndPort address, boolean tls, boolean http2, boolean proxyProtocol) {

    static ListenConfig read(ConfigValue value, String path, ConfigNode parent) {
        if (value.valueType() == ConfigValueType.STRING) {
            HostAndPort address = address(String.valueOf(value.unwrapped()), value, path, parent);
            return address == null ? null : new ListenConfig(address, false, false, false);
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
            node.finish();
            HostAndPort address = text.isEmpty() ? null : address(text, value, path + ".address", parent);
            return address == null ? null : new ListenConfig(address, tls, http2, proxyProtocol);
        }
        parent.problems().add(value.origin(), path, "expected \"host:port\" or { address = ..., tls = ..., http2 = ... }");
        return null;
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
