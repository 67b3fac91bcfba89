package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.http.RequestPath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The path normaliser never lets a path climb, never keeps dot segments, control characters or empty segments. */
class RequestPathFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void normalisedPathsAreCanonical(String raw) {
        if (raw == null) {
            return;
        }
        String path = RequestPath.normalize(raw);
        if (path == null) {
            return;
        }
        assertTrue(path.startsWith("/"), path);
        assertFalse(path.contains("//"), path);
        for (String segment : path.substring(1).split("/", -1)) {
            assertFalse(segment.equals("..") || segment.equals("."), path);
        }
        for (int i = 0; i < path.length(); i++) {
            assertTrue(path.charAt(i) >= 0x20 && path.charAt(i) != 0x7f, "control character in " + path);
        }
        if (path.indexOf('%') < 0 && path.chars().allMatch(c -> c < 0x80)) {
            assertEquals(path, RequestPath.normalize(path), "normalising twice changes nothing");
        }
    }
}
