package io.sluice.upstream;

import io.netty.util.AsciiString;
import io.sluice.http.CommonFieldNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Field names of upstream responses read straight from their bytes. A name goes on to the client spelled
 * as the upstream spelled it, so only an exact match with a common spelling (canonical or lower case)
 * becomes a shared constant ({@link CommonFieldNames}); any other name is a new string, as it would have been
 * anyway.
 */
final class ResponseFieldNames {
    private static final AsciiString[][] BY_LENGTH;

    static {
        List<AsciiString> names = new ArrayList<>();
        int longest = 0;
        for (String name : CommonFieldNames.CANONICAL) {
            names.add(AsciiString.cached(name));
            names.add(AsciiString.cached(name.toLowerCase(Locale.ROOT)));
            longest = Math.max(longest, name.length());
        }
        List<List<AsciiString>> byLength = new ArrayList<>();
        for (int i = 0; i <= longest; i++) {
            byLength.add(new ArrayList<>());
        }
        for (AsciiString name : names) {
            List<AsciiString> sameLength = byLength.get(name.length());
            if (!sameLength.contains(name)) {
                sameLength.add(name);
            }
        }
        BY_LENGTH = new AsciiString[longest + 1][];
        for (int i = 0; i <= longest; i++) {
            BY_LENGTH[i] = byLength.get(i).toArray(new AsciiString[0]);
        }
    }

    private ResponseFieldNames() {
    }

    /** The name in {@code bytes[start, end)}: a shared constant when spelled as a common name is. */
    static AsciiString of(byte[] bytes, int start, int end) {
        int length = end - start;
        if (length < BY_LENGTH.length) {
            for (AsciiString candidate : BY_LENGTH[length]) {
                if (same(bytes, start, candidate)) {
                    return candidate;
                }
            }
        }
        return new AsciiString(bytes, start, length, true);
    }

    private static boolean same(byte[] bytes, int start, AsciiString name) {
        byte[] array = name.array();
        int offset = name.arrayOffset();
        for (int i = 0; i < name.length(); i++) {
            if (bytes[start + i] != array[offset + i]) {
                return false;
            }
        }
        return true;
    }
}
