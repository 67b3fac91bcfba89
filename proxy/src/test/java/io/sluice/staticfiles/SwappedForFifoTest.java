package io.sluice.staticfiles;

import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.BlockingPoolConfig;
import io.sluice.config.ConfigLoader;
import io.sluice.config.StaticConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file replaced by a FIFO after its type was checked and before it is opened: open(2) of a FIFO for
 * reading waits for a writer, for ever if none comes. The resolver's hook makes the swap land in that
 * window every time. The look-up must answer "absent" promptly and leave its pool thread free for the next.
 */
class SwappedForFifoTest {
    @TempDir
    Path root;

    private FileResolver resolver(String config, Consumer<Path> beforeOpen) {
        StaticConfig staticConfig = (StaticConfig) ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                  { match = "/", static { root = "%s", %s } }
                ] } ] }""".formatted(root, config), root).servers().get(0).locations().get(0).action();
        return new FileResolver(staticConfig, new MimeTypes(staticConfig.mimeTypes()), new ContentBudget(0),
                Duration.ofSeconds(30), beforeOpen);
    }

    /** Replaces the files named {@code name} with a FIFO of that name when they are about to be opened. */
    private static Consumer<Path> swapForFifo(String name) {
        return path -> {
            if (path.getFileName().toString().equals(name)) {
                try {
                    Files.delete(path);
                    Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).start();
                    assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    private static FileEntry await(Future<FileEntry> lookUp, String what) throws InterruptedException {
        assertTrue(lookUp.await(10, TimeUnit.SECONDS), what + ": no answer within 10 s");
        assertTrue(lookUp.isSuccess(), () -> what + ": " + lookUp.cause());
        return lookUp.getNow();
    }

    @Test
    void aFileSwappedForAFifoIsAbsentAndThePoolThreadServesTheNextLookUp() throws Exception {
        Files.writeString(root.resolve("swapped.txt"), "regular");
        Files.writeString(root.resolve("plain.txt"), "plain");
        FileResolver resolver = resolver("precompressed = false", swapForFifo("swapped.txt"));
        try (BlockingPool pool = new BlockingPool(new BlockingPoolConfig(1, 4))) {
            Future<FileEntry> swapped = pool.submit(() -> resolver.resolve("swapped.txt"), GlobalEventExecutor.INSTANCE);
            Future<FileEntry> plain = pool.submit(() -> resolver.resolve("plain.txt"), GlobalEventExecutor.INSTANCE);
            assertSame(FileEntry.MISSING, await(swapped, "swapped.txt"));
            FileEntry entry = await(plain, "plain.txt");
            try {
                assertEquals(FileEntry.Kind.FILE, entry.kind());
                assertEquals(5, entry.size());
            } finally {
                entry.release();
            }
        }
    }

    @Test
    void aPrecompressedVariantSwappedForAFifoIsLeftOutAndTheFileIsServed() throws Exception {
        Files.writeString(root.resolve("page.html"), "<p>page</p>");
        Files.writeString(root.resolve("page.html.gz"), "not really gzip");
        FileResolver resolver = resolver("precompressed = true", swapForFifo("page.html.gz"));
        try (BlockingPool pool = new BlockingPool(new BlockingPoolConfig(1, 4))) {
            FileEntry entry = await(pool.submit(() -> resolver.resolve("page.html"), GlobalEventExecutor.INSTANCE),
                    "page.html");
            try {
                assertEquals(FileEntry.Kind.FILE, entry.kind());
                assertEquals(11, entry.size());
                assertEquals(null, entry.gzip());
            } finally {
                entry.release();
            }
        }
    }

    @Test
    void anIndexFileSwappedForAFifoLeavesTheDirectoryWithoutAnIndex() throws Exception {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<p>docs</p>");
        FileResolver resolver = resolver("precompressed = false", swapForFifo("index.html"));
        try (BlockingPool pool = new BlockingPool(new BlockingPoolConfig(1, 4))) {
            FileEntry entry = await(pool.submit(() -> resolver.resolve("docs"), GlobalEventExecutor.INSTANCE), "docs");
            assertEquals(FileEntry.Kind.DIRECTORY, entry.kind());
            assertEquals(null, entry.index());
        }
    }
}
