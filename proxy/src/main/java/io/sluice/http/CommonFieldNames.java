package io.sluice.http;

import io.netty.util.AsciiString;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The field names most responses carry, as HTTP/1.1 peers spell them, and their lower-case form.
 *
 * <p>An upstream's response names reach us as shared constants in the upstream's spelling (canonical for
 * nearly every server). HTTP/2 and HTTP/3 send names in lower case only, so every such name of every
 * response forwarded on a stream would be lower-cased into two new objects (a string and its bytes);
 * here a common name maps to one shared lower-case constant instead.
 */
public final class CommonFieldNames {
    /** The common names in their canonical spelling, and the variants seen in practice ({@code Etag}). */
    public static final List<String> CANONICAL = List.of(
            "Accept-Ranges", "Age", "Cache-Control", "Connection", "Content-Disposition", "Content-Encoding",
            "Content-Language", "Content-Length", "Content-Location", "Content-Range", "Content-Security-Policy",
            "Content-Type", "Date", "ETag", "Etag", "Expires", "Keep-Alive", "Last-Modified", "Link", "Location",
            "Pragma", "Referrer-Policy", "Retry-After", "Server", "Set-Cookie", "Strict-Transport-Security",
            "Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Via", "WWW-Authenticate", "X-Content-Type-Options",
            "X-Frame-Options", "X-Powered-By", "X-Request-Id", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol",
            "Sec-WebSocket-Extensions", "Alt-Svc", "Access-Control-Allow-Origin");

    /** Canonical spelling to lower-case constant; {@link AsciiString#equals} compares exactly. */
    private static final Map<AsciiString, AsciiString> LOWER_CASE = new HashMap<>();

    static {
        for (String name : CANONICAL) {
            LOWER_CASE.put(AsciiString.cached(name), AsciiString.cached(name.toLowerCase(Locale.ROOT)));
        }
    }

    private CommonFieldNames() {
    }

    /**
     * {@code name} in lower case: a shared constant for a common name in its canonical spelling, {@code name}
     * itself when it has no upper-case letter, else a new string.
     */
    public static AsciiString lowerCase(CharSequence name) {
        AsciiString ascii = AsciiString.of(name);
        if (!hasUpperCase(ascii)) {
            // our own names are lower-case constants: a scan is cheaper than a lookup (whose case-insensitive
            // hash sends every such name to its canonical spelling's bucket, to be compared byte by byte)
            return ascii;
        }
        AsciiString common = LOWER_CASE.get(ascii);
        return common != null ? common : ascii.toLowerCase();
    }

    private static boolean hasUpperCase(AsciiString name) {
        byte[] bytes = name.array();
        int end = name.arrayOffset() + name.length();
        for (int i = name.arrayOffset(); i < end; i++) {
            if (bytes[i] >= 'A' && bytes[i] <= 'Z') {
                return true;
            }
        }
        return false;
    }
}
