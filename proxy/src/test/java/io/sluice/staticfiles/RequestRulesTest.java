package io.sluice.staticfiles;

import io.netty.util.AsciiString;
import io.sluice.http.AcceptedCoding;
import io.sluice.http.ContentCoding;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small text rules: paths, entity tags, Accept-Encoding, MIME values. */
class RequestRulesTest {

    @Test
    void encodedSeparatorsAndHiddenSegments() {
        assertTrue(StaticPaths.hasEncodedSeparator("/a%2fb"));
        assertTrue(StaticPaths.hasEncodedSeparator("/a%5Cb"));
        assertFalse(StaticPaths.hasEncodedSeparator("/a%20b%2"));
        assertTrue(StaticPaths.hidden(".env"));
        assertTrue(StaticPaths.hidden("a/.git/config"));
        assertTrue(StaticPaths.hidden(".well-knownx/a"));
        assertTrue(StaticPaths.hidden(".w/a"));
        assertFalse(StaticPaths.hidden(".well-known/acme"));
        assertFalse(StaticPaths.hidden("a/b.c/d"));
        assertEquals("/a%20b/%3C%3E/", StaticPaths.encodePath("/a b/<>/"));
    }

    @Test
    void entityTagComparison() {
        AsciiString etag = AsciiString.of("\"abc\"");
        assertTrue(Preconditions.matches("\"abc\"", etag, false));
        assertTrue(Preconditions.matches("\"x\" , \"abc\"", etag, false));
        assertFalse(Preconditions.matches("W/\"abc\"", etag, false));
        assertTrue(Preconditions.matches("W/\"abc\"", etag, true));
        assertTrue(Preconditions.matches("*", etag, false));
        assertFalse(Preconditions.matches("\"abcd\"", etag, true));
        assertFalse(Preconditions.matches("abc", etag, true));
    }

    @Test
    void acceptEncodingHonoursQValues() {
        Set<ContentCoding> both = EnumSet.of(ContentCoding.BROTLI, ContentCoding.GZIP);
        Set<ContentCoding> gzipOnly = EnumSet.of(ContentCoding.GZIP);
        Set<ContentCoding> brotliOnly = EnumSet.of(ContentCoding.BROTLI);
        assertEquals(ContentCoding.BROTLI, AcceptedCoding.choose("gzip, br", both));
        assertEquals(ContentCoding.GZIP, AcceptedCoding.choose("gzip, br", gzipOnly));
        assertEquals(ContentCoding.GZIP, AcceptedCoding.choose("br;q=0.1, gzip;q=0.2", both));
        assertNull(AcceptedCoding.choose("br;q=0", brotliOnly));
        assertNull(AcceptedCoding.choose("br;q=bogus", brotliOnly));
        assertNull(AcceptedCoding.choose(null, both));
        assertEquals(ContentCoding.GZIP, AcceptedCoding.choose("X-GZIP", both));
    }

    @Test
    void textTypesCarryACharset() {
        assertEquals("text/plain; charset=utf-8", MimeTypes.withCharset("text/plain").toString());
        assertEquals("text/plain; charset=latin1", MimeTypes.withCharset("text/plain; charset=latin1").toString());
        assertEquals("image/svg+xml; charset=utf-8", MimeTypes.withCharset("image/svg+xml").toString());
        assertEquals("image/png", MimeTypes.withCharset("image/png").toString());
        MimeTypes types = new MimeTypes(java.util.Map.of("JS", "text/x-js"));
        assertEquals("text/x-js; charset=utf-8", types.forFileName("a.min.js").toString());
        assertEquals("application/wasm", types.forFileName("m.WASM").toString());
        assertEquals("application/octet-stream", types.forFileName("Makefile").toString());
        assertEquals("application/octet-stream", types.forFileName("trailing.").toString());
    }
}
