package io.sluice.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's open-file limit (the soft one, which the kernel enforces), as Linux reports it. */
final class OpenFileLimit {
    private OpenFileLimit() {
    }

    /** The limit from {@code /proc/self/limits}; -1 where that file is missing or does not say. */
    static long read() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a format this does not know: the report goes without the number
        }
        return -1;
    }
}
