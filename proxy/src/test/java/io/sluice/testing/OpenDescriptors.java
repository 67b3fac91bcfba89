package io.sluice.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The file descriptors of this test JVM (an in-process Sluice runs in it), read from procfs. */
public final class OpenDescriptors {
    private OpenDescriptors() {
    }

    /** How many of this process's descriptors are open on {@code file}. */
    public static long on(Path file) throws IOException {
        Path target = file.toRealPath();
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }
}
