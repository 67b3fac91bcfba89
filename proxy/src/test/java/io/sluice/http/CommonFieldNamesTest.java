package io.sluice.http;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class CommonFieldNamesTest {
    @Test
    void aCommonNameInItsCanonicalSpellingIsOneSharedLowerCaseConstant() {
        AsciiString first = CommonFieldNames.lowerCase(AsciiString.cached("Content-Type"));

        assertEquals(AsciiString.of("content-type"), first);
        assertSame(first, CommonFieldNames.lowerCase(AsciiString.of("Content-Type")));
        assertSame(CommonFieldNames.lowerCase("ETag"), CommonFieldNames.lowerCase(new StringBuilder("ETag")));
    }

    @Test
    void aLowerCaseNameIsItself() {
        AsciiString name = AsciiString.of("x-trace");

        assertSame(name, CommonFieldNames.lowerCase(name));
    }

    @Test
    void anyOtherNameIsLowerCased() {
        assertEquals(AsciiString.of("x-custom-thing"), CommonFieldNames.lowerCase("X-Custom-Thing"));
        assertEquals(AsciiString.of("content-type"), CommonFieldNames.lowerCase("CONTENT-TYPE"));
    }
}
