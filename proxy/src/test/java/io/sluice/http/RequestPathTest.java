package io.sluice.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class RequestPathTest {

    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/", "/static/small.html", "/a/.b/c", "/a/..b", "/a/b.", "/a/...", "/.well-known/x"})
    void canonicalPathsComeBackUntouched(String path) {
        assertSame(path, RequestPath.normalize(path));
    }

    @ParameterizedTest
    @CsvSource({
            "//, /",
            "/a//b, /a/b",
            "/a/./b, /a/b",
            "/a/., /a/",
            "/a/b/.., /a/",
            "/a/b/../c, /a/c",
            "/./, /",
            "/a/.., /",
            "/%2e%2e/x/../y, ''",
            "/a/%2e/b, /a/b",
            "/a%2fb/../c, /a/c",
    })
    void nonCanonicalPathsAreResolved(String raw, String expected) {
        if (expected.isEmpty()) {
            assertNull(RequestPath.normalize(raw));
        } else {
            assertEquals(expected, RequestPath.normalize(raw));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/..", "/../a", "/a/../..", "a", "", "/a%00b", "/a%zz", "/%"})
    void pathsThatClimbOrAreMalformedAreRefused(String raw) {
        assertNull(RequestPath.normalize(raw));
    }
}
