package io.sluice.staticfiles;

import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.blocking.BlockingPool;
import io.sluice.config.BlockingPoolConfig;
import io.sluice.config.ConfigLoader;
import io.sluice.config.StaticConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which files the resolver copies into memory, and that the bytes held stay within the budget. */
class InMemoryContentTest {
    private static final Duration SETTLED = Duration.ofSeconds(30);

    @TempDir
    Path root;

    private FileResolver resolver(ContentBudget budget) {
        StaticConfig config = (StaticConfig) ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                  { match = "/", static { root = "%s" } }
                ] } ] }""".formatted(root), root).servers().get(0).locations().get(0).action();
        return new FileResolver(config, new MimeTypes(config.mimeTypes()), budget, SETTLED);
    }

    /** A file of {@code size} bytes last changed an hour ago. */
    private byte[] settledFile(String name, int size) throws Exception {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) name.charAt(0));
        Path file = root.resolve(name);
        Files.write(file, bytes);
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        return bytes;
    }

    @Test
    void settledSmallFilesAreHeldUntilTheBudgetIsSpentAndGiveTheirBytesBackWhenReleased() throws Exception {
        ContentBudget budget = new ContentBudget(2500);
        FileResolver resolver = resolver(budget);
        List<FileEntry> entries = new ArrayList<>();
        int held = 0;
        for (String name : List.of("a", "b", "c", "d", "e")) {
            byte[] bytes = settledFile(name, 1000);
            FileEntry entry = resolver.resolve(name);
            entries.add(entry);
            byte[] content = entry.file().content();
            if (content != null) {
                assertArrayEquals(bytes, content);
                held++;
            }
            assertEquals(held * 1000L, budget.used());
        }
        assertEquals(2, held, "2,500 bytes hold two files of 1,000");
        entries.forEach(FileEntry::release);
        assertEquals(0, budget.used(), "every released copy gave its bytes back");
    }

    @Test
    void recentlyChangedEmptyAndLargerFilesAreReadFromTheirDescriptors() throws Exception {
        ContentBudget budget = new ContentBudget(1 << 20);
        FileResolver resolver = resolver(budget);
        Files.write(root.resolve("fresh"), new byte[100]);
        settledFile("empty", 0);
        settledFile("large", ContentBudget.LARGEST_FILE + 1);
        byte[] largest = settledFile("largest", ContentBudget.LARGEST_FILE);
        List<FileEntry> entries = List.of(resolver.resolve("fresh"), resolver.resolve("empty"),
                resolver.resolve("large"), resolver.resolve("largest"));
        try {
            assertNull(entries.get(0).file().content(), "changed within the settling time");
            assertNull(entries.get(1).file().content());
            assertNull(entries.get(2).file().content());
            assertArrayEquals(largest, entries.get(3).file().content());
            assertEquals(ContentBudget.LARGEST_FILE, budget.used());
        } finally {
            entries.forEach(FileEntry::release);
        }
    }

    @Test
    void precompressedVariantsAreHeldAndCountedToo() throws Exception {
        ContentBudget budget = new ContentBudget(1 << 20);
        StaticConfig config = (StaticConfig) ConfigLoader.parse("""
                sluice { servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                  { match = "/", static { root = "%s", precompressed = true } }
                ] } ] }""".formatted(root), root).servers().get(0).locations().get(0).action();
        FileResolver resolver = new FileResolver(config, new MimeTypes(config.mimeTypes()), budget, SETTLED);
        settledFile("x.css", 300);
        byte[] gzip = settledFile("x.css.gz", 120);
        FileEntry entry = resolver.resolve("x.css");
        try {
            assertNotNull(entry.file().content());
            assertArrayEquals(gzip, entry.gzip().file().content());
            assertEquals(420, budget.used());
        } finally {
            entry.release();
        }
        assertEquals(0, budget.used());
    }

    @Test
    void anEntryThatLeavesTheCacheGivesItsBytesBackOnceNoResponseHoldsIt() throws Exception {
        ContentBudget budget = new ContentBudget(1 << 20);
        settledFile("page", 700);
        try (BlockingPool pool = new BlockingPool(new BlockingPoolConfig(1, 10))) {
            OpenFileCache cache = new OpenFileCache(10, Duration.ofHours(1), resolver(budget), pool);
            FileEntry loaded = cache.load("page", GlobalEventExecutor.INSTANCE).get(10, TimeUnit.SECONDS);
            loaded.release();
            FileEntry hit = cache.cached("page");
            assertNotNull(hit.file().content());
            assertEquals(700, budget.used(), "the cache's entry keeps its copy");
            assertTrue(hit.file().tryRetain(), "a response sending from the descriptor");
            cache.invalidate("page");
            assertEquals(700, budget.used(), "still held by that response");
            hit.file().release();
            assertEquals(0, budget.used());
        }
    }
}
