package io.sluice.upstream;

import io.netty.util.concurrent.FastThreadLocal;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The text of a client's IP address for the forwarding headers, remembered per event loop for the last
 * address seen: formatting it anew for every proxied request showed in profiles, and a loop's requests
 * mostly come from a few addresses in a row. An IPv4 address is matched by value (its four bytes are its
 * whole text); any other only by identity, since an IPv6 address's text also carries its scope.
 */
final class ClientAddressText {
    private static final FastThreadLocal<ClientAddressText> LAST = new FastThreadLocal<>() {
        @Override
        protected ClientAddressText initialValue() {
            return new ClientAddressText();
        }
    };

    private InetAddress address;
    private String text;

    private ClientAddressText() {
    }

    static String of(InetAddress address) {
        ClientAddressText last = LAST.get();
        InetAddress known = last.address;
        if (known != address && !(address instanceof Inet4Address && address.equals(known))) {
            last.text = address.getHostAddress();
            last.address = address;
        }
        return last.text;
    }
}
