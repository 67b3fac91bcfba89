package io.sluice.upstream;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClientAddressTextTest {
    @Test
    void eachAddressGetsItsOwnTextWhateverCameBefore() throws Exception {
        InetAddress first = InetAddress.getByName("192.0.2.1");
        InetAddress sameAsFirst = InetAddress.getByName("192.0.2.1");
        InetAddress second = InetAddress.getByName("198.51.100.7");
        InetAddress v6 = InetAddress.getByName("2001:db8::1");
        InetAddress scoped = InetAddress.getByName("fe80::1%1");
        InetAddress otherScope = InetAddress.getByName("fe80::1%2");
        assertEquals("192.0.2.1", ClientAddressText.of(first));
        assertEquals("192.0.2.1", ClientAddressText.of(sameAsFirst));
        assertEquals("198.51.100.7", ClientAddressText.of(second));
        assertEquals("2001:db8:0:0:0:0:0:1", ClientAddressText.of(v6));
        assertEquals("192.0.2.1", ClientAddressText.of(first));
        assertEquals("fe80:0:0:0:0:0:0:1%1", ClientAddressText.of(scoped));
        assertEquals("fe80:0:0:0:0:0:0:1%2", ClientAddressText.of(otherScope));
    }
}
