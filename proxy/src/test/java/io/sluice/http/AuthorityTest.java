package io.sluice.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthorityTest {
    @ParameterizedTest
    @ValueSource(strings = {"example.com", "Example.COM:8080", "127.0.0.1", "127.0.0.1:28080", "[::1]", "[::1]:443",
            "[2001:DB8::1]:8443", "a-b_c~d%41.test:1", "x!$&'()*+,;=:65535", "example.com.", "Example.COM.:8080"})
    void hostOfAValidValueSkipsTheSecondCheckAndAgrees(String value) {
        assertTrue(Authority.isValid(value));
        assertEquals(Authority.hostOf(value), Authority.hostOfValid(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "example.com.", "EXAMPLE.com.", "example.com.:443", "Example.Com:8443"})
    void aFullyQualifiedNameIsTheNameWithoutItsTrailingDot(String value) {
        assertEquals("example.com", Authority.hostOf(value));
        assertEquals("example.com", Authority.hostOfValid(value));
    }
}
