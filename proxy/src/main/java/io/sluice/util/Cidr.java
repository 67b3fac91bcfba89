package io.sluice.util;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address block such as {@code 10.0.0.0/8}, {@code 192.168.1.7} (a single address) or {@code fd00::/8}.
 * Only IP literals are accepted, so parsing never performs a name lookup.
 */
public record Cidr(byte[] network, int prefixLength) {

    public static Cidr parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = ipLiteral(address);
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            String length = trimmed.substring(slash + 1);
            if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("prefix length must be a number");
            }
            prefix = Integer.parseInt(length);
            if (prefix > bytes.length * 8) {
                throw new IllegalArgumentException("prefix length over " + bytes.length * 8);
            }
        }
        return new Cidr(bytes, prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xff << (8 - remainingBits)) & 0xff;
        return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
    }

    private static byte[] ipLiteral(String text) {
        boolean ipv4 = !text.isEmpty() && text.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        boolean ipv6 = text.indexOf(':') >= 0 && text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0);
        if (!ipv4 && !ipv6) {
            throw new IllegalArgumentException("expected an IP address or CIDR block");
        }
        try {
            // a literal of only digits, dots, colons and hex never triggers a lookup
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad IP address \"" + text + "\"");
        }
    }
}
