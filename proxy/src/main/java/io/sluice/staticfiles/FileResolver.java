package io.sluice.staticfiles;

import io.sluice.config.StaticConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Turns a request path below the root into a {@link FileEntry}, applying the symlink policy, and opens
 * the file (and its precompressed variants): file system calls only, so it runs on the blocking pool,
 * never on an event loop. Anything that is not a regular
 * file or a directory (FIFOs, devices, sockets), anything the policy refuses and anything unreadable is
 * {@link FileEntry#MISSING}: the client learns nothing about why. A file that is there but cannot be opened
 * for a reason that may pass (no descriptors left, an I/O error) is not absent: that look-up fails, so
 * nothing is cached and the file is served again as soon as it can be opened.
 */
final class FileResolver {
    private static final Logger log = LoggerFactory.getLogger(FileResolver.class);

    private final Path root;
    private final StaticConfig config;
    private final MimeTypes mimeTypes;
    private final ContentBudget budget;
    private final long settledMillis;
    /** Runs between a file's type check and its open: a test's way to win the race a FIFO swap needs. */
    private final Consumer<Path> beforeOpen;

    /**
     * @param budget  what file content may be held in memory
     * @param settled how long a file must have gone unchanged before its content is held in memory
     */
    FileResolver(StaticConfig config, MimeTypes mimeTypes, ContentBudget budget, Duration settled) {
        this(config, mimeTypes, budget, settled, path -> { });
    }

    FileResolver(StaticConfig config, MimeTypes mimeTypes, ContentBudget budget, Duration settled,
                 Consumer<Path> beforeOpen) {
        this.beforeOpen = beforeOpen;
        this.root = config.root();
        this.config = config;
        this.mimeTypes = mimeTypes;
        this.budget = budget;
        this.settledMillis = settled.toMillis();
        if (!namesOutsideAscii(root)) {
            log.warn("static root {}: the JVM encodes file names as {} (taken from the locale), so paths with other"
                    + " characters answer 404; start it with LANG=C.UTF-8 (or LC_ALL) to serve them",
                    root, System.getProperty("sun.jnu.encoding"));
        }
    }

    /** Whether a file name outside ASCII can be expressed at all: Java 17 cannot, under the C locale. */
    private static boolean namesOutsideAscii(Path root) {
        try {
            root.getFileSystem().getPath("\u00e9");
            return true;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /**
     * @param relative a normalised path below the root without leading or trailing slash ({@code ""} is
     *                 the root itself), with no {@code .} or {@code ..} segments
     * @throws IOException when a file could not be opened for a reason other than its absence or its
     *                     permissions; nothing it opened is left open
     */
    FileEntry resolve(String relative) throws IOException {
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            log.warn("static root {} is not accessible: {}", root, e.toString());
            return FileEntry.MISSING;
        }
        Path real = locate(realRoot, relative);
        if (real == null) {
            return FileEntry.MISSING;
        }
        BasicFileAttributes attributes = attributes(real);
        if (attributes == null) {
            return FileEntry.MISSING;
        }
        if (attributes.isDirectory()) {
            return FileEntry.directory(real, index(realRoot, relative));
        }
        if (!attributes.isRegularFile()) {
            log.debug("{}: not a regular file", real);
            return FileEntry.MISSING;
        }
        FileEntry entry = withVariants(realRoot, relative, real, fileName(relative));
        return entry == null ? FileEntry.MISSING : entry;
    }

    /** The file and its precompressed variants, or {@code null} when the file is gone or may not be read. */
    private FileEntry withVariants(Path realRoot, String relative, Path real, String nameForType)
            throws IOException {
        FileEntry brotli = null;
        FileEntry gzip = null;
        try {
            if (config.precompressed()) {
                brotli = variant(realRoot, relative + ".br", "br");
                gzip = variant(realRoot, relative + ".gz", "gz");
            }
            FileEntry entry = file(real, "", brotli, gzip, nameForType);
            if (entry != null) {
                return entry;
            }
        } catch (IOException e) {
            releaseAll(brotli, gzip);
            throw e;
        }
        releaseAll(brotli, gzip);
        return null;
    }

    private static void releaseAll(FileEntry... entries) {
        for (FileEntry entry : entries) {
            if (entry != null) {
                entry.release();
            }
        }
    }

    private FileEntry index(Path realRoot, String directory) throws IOException {
        for (String name : config.index()) {
            String relative = directory.isEmpty() ? name : directory + "/" + name;
            Path real = locate(realRoot, relative);
            BasicFileAttributes attributes = real == null ? null : attributes(real);
            if (attributes != null && attributes.isRegularFile()) {
                FileEntry entry = withVariants(realRoot, relative, real, name);
                if (entry != null) {
                    return entry;
                }
            }
        }
        return null;
    }

    private FileEntry variant(Path realRoot, String relative, String suffix) throws IOException {
        Path real = locate(realRoot, relative);
        BasicFileAttributes attributes = real == null ? null : attributes(real);
        if (attributes == null || !attributes.isRegularFile()) {
            return null;
        }
        return file(real, "-" + suffix, null, null, null);
    }

    /**
     * Opens the file; {@code null} when it may not be read, vanished meanwhile or is no regular file any more.
     * Size and times come from the open descriptor, so they describe the bytes that will be sent even when
     * the path was replaced after its type was checked.
     *
     * @throws IOException when it could not be opened or measured for any other reason
     */
    private FileEntry file(Path real, String etagSuffix, FileEntry brotli, FileEntry gzip, String nameForType)
            throws IOException {
        beforeOpen.accept(real);
        RegularFileOpener.Opened opened;
        try {
            opened = RegularFileOpener.shared().open(real);
        } catch (NoSuchFileException | AccessDeniedException | SecurityException e) {
            log.debug("{}: cannot open: {}", real, e.toString());
            return null;
        }
        if (opened == null) {
            return null;
        }
        BasicFileAttributes attributes = opened.attributes();
        long size = attributes.size();
        return FileEntry.file(real, open(opened.channel(), size, attributes), size,
                attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS), etagSuffix,
                nameForType == null ? null : mimeTypes.forFileName(nameForType), brotli, gzip);
    }

    /**
     * The descriptor, with a copy of the file when it is small, the budget has room, and it has gone
     * unchanged for at least the settling time. A file changed more recently may be being edited in place:
     * read through its descriptor, each request sees its current bytes (and a rewrite that made it shorter
     * is noticed), while a copy would repeat the old bytes until the entry is next revalidated.
     */
    private OpenFile open(FileChannel channel, long size, BasicFileAttributes attributes) {
        long unchangedMillis = System.currentTimeMillis() - attributes.lastModifiedTime().toMillis();
        if (size == 0 || size > ContentBudget.LARGEST_FILE || unchangedMillis < settledMillis || !budget.tryReserve(size)) {
            return new OpenFile(channel);
        }
        byte[] content = readFully(channel, (int) size);
        if (content == null) {
            budget.giveBack(size);
            return new OpenFile(channel);
        }
        return new OpenFile(channel, content, budget);
    }

    /** The file's first {@code size} bytes, or {@code null} when it is shorter now or cannot be read. */
    private static byte[] readFully(FileChannel channel, int size) {
        ByteBuffer content = ByteBuffer.allocate(size);
        try {
            while (content.hasRemaining()) {
                if (channel.read(content, content.position()) <= 0) {
                    return null;
                }
            }
        } catch (IOException e) {
            log.debug("cannot read into memory: {}", e.toString());
            return null;
        }
        return content.array();
    }

    /** The real path to open for {@code relative}, or {@code null} when it is absent or the policy refuses it. */
    private Path locate(Path realRoot, String relative) {
        Path candidate;
        try {
            candidate = relative.isEmpty() ? realRoot : realRoot.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            // the name cannot be expressed in the JVM's file name encoding, so no file can have it
            log.debug("{}: {}", relative, e.getMessage());
            return null;
        }
        if (!candidate.startsWith(realRoot)) {
            return null;
        }
        try {
            switch (config.symlinks()) {
                case DENY -> {
                    Path current = realRoot;
                    for (Path segment : realRoot.relativize(candidate)) {
                        current = current.resolve(segment);
                        BasicFileAttributes attributes = Files.readAttributes(current, BasicFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS);
                        if (attributes.isSymbolicLink()) {
                            log.debug("{}: symbolic link refused (symlinks = deny)", current);
                            return null;
                        }
                    }
                    return candidate;
                }
                case INSIDE_ROOT -> {
                    Path real = candidate.toRealPath();
                    if (!real.startsWith(realRoot)) {
                        log.debug("{}: resolves outside the root (symlinks = inside-root)", candidate);
                        return null;
                    }
                    return real;
                }
                default -> {
                    return candidate.toRealPath();
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (IOException | SecurityException e) {
            log.debug("{}: {}", candidate, e.toString());
            return null;
        }
    }

    private static BasicFileAttributes attributes(Path real) {
        try {
            return Files.readAttributes(real, BasicFileAttributes.class);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private static String fileName(String relative) {
        return relative.substring(relative.lastIndexOf('/') + 1);
    }
}
