package io.sluice.staticfiles;

import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file larger than the whole heap of this JVM (where the server also runs) is served byte for byte:
 * the body never passes through the heap. The file is sparse, so it costs no disk.
 */
class LargeFileIT {
    @TempDir
    Path site;

    @Test
    void servesAFileLargerThanTheHeap() throws Exception {
        long maxHeap = Runtime.getRuntime().maxMemory();
        long size = Math.max(600L << 20, maxHeap + (64L << 20));
        Path root = Files.createDirectories(site.resolve("public"));
        Path file = root.resolve("huge.bin");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
            for (long offset = 0; offset < size; offset += 97L << 20) {
                raf.seek(offset);
                raf.writeLong(offset ^ 0x5DEECE66DL);
            }
        }
        assertTrue(size > maxHeap, "the file must be larger than the heap for this test to mean anything");
        String expected = Downloads.sha256(file);
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", static { root = "public" } }
                  ] } ]
                }""", site); Downloads.Client client = new Downloads.Client(sluice.port())) {
            Downloads.Hashed response = client.get("/huge.bin");
            assertEquals(200, response.status());
            assertEquals(size, response.bodyLength());
            assertEquals(expected, response.sha256());
        }
    }
}
