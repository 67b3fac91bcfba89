package io.sluice.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the raw path of a request target into the form locations are matched against, as nginx does:
 * percent-escapes decoded once (strict UTF-8, so overlong encodings fail), {@code .} and {@code ..}
 * segments resolved, repeated slashes merged. A path that climbs above the root, holds NUL or other
 * control characters, or has a broken escape is refused ({@code null}): it must not match a location
 * other than the one its bytes spell.
 */
public final class RequestPath {
    private RequestPath() {
    }

    /** The path part of a request target, without the query: {@code /a/b} for {@code /a/b?x=1}. */
    public static String rawPath(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** The query of a request target without the {@code ?}, or {@code null}. */
    public static String rawQuery(String uri) {
        int query = uri.indexOf('?');
        return query < 0 ? null : uri.substring(query + 1);
    }

    public static String normalize(String rawPath) {
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return null;
        }
        String decoded = decode(rawPath);
        if (decoded == null || isCanonical(decoded)) {
            return decoded;
        }
        List<String> segments = new ArrayList<>();
        int start = 1;
        while (start <= decoded.length()) {
            int slash = decoded.indexOf('/', start);
            int end = slash < 0 ? decoded.length() : slash;
            String segment = decoded.substring(start, end);
            if ("..".equals(segment)) {
                if (segments.isEmpty()) {
                    return null;
                }
                segments.remove(segments.size() - 1);
            } else if (!segment.isEmpty() && !".".equals(segment)) {
                segments.add(segment);
            }
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        boolean trailingSlash = decoded.endsWith("/") || decoded.endsWith("/.") || decoded.endsWith("/..");
        StringBuilder out = new StringBuilder(decoded.length());
        for (String segment : segments) {
            out.append('/').append(segment);
        }
        if (segments.isEmpty() || trailingSlash) {
            out.append('/');
        }
        return out.toString();
    }

    /**
     * True when resolving would change nothing: no empty, {@code .} or {@code ..} segment. Most request paths
     * are already canonical; they skip the split and rebuild (one scan, no allocation).
     */
    private static boolean isCanonical(String path) {
        int length = path.length();
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            int next = slash + 1;
            if (next < length && path.charAt(next) == '/') {
                return false;
            }
            if (next < length && path.charAt(next) == '.') {
                int afterDots = next + 1 < length && path.charAt(next + 1) == '.' ? next + 2 : next + 1;
                if (afterDots == length || path.charAt(afterDots) == '/') {
                    return false;
                }
            }
        }
        return true;
    }

    private static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return hasControl(raw) ? null : raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.put((byte) (hi << 4 | lo));
                i += 2;
            } else if (c > 0x7f) {
                return null;
            } else {
                bytes.put((byte) c);
            }
        }
        bytes.flip();
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            String decoded = chars.toString();
            return hasControl(decoded) ? null : decoded;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
