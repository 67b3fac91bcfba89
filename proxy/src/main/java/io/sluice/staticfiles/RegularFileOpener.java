package io.sluice.staticfiles;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Opens a file for reading only when it is a regular file, without ever waiting on it, as nginx does
 * ({@code O_NONBLOCK}, then {@code fstat} of the open descriptor). A type checked by path and then an open
 * by path leave a window in which the file can be replaced, and open(2) of a FIFO for reading waits until
 * a writer appears: for ever if none does, with a blocking-pool thread parked in it. Java 17's
 * {@code FileChannel.open} cannot pass {@code O_NONBLOCK} (and Netty's {@code FileDescriptor.from} opens
 * for writing, truncating), so the path is opened through the JDK's own Unix dispatcher, which takes any
 * flags; the type is read from the open descriptor through {@code /proc/self/fd}, and a regular file is
 * reopened as a {@link FileChannel} through that same link, which names the opened file whatever the path
 * names by then. The check on the descriptor is the one that counts: it also closes the races in which the
 * file becomes a device, a socket or a symbolic link, or another regular file whose size and time the
 * response would otherwise describe wrongly.
 *
 * <p>The dispatcher is internal to the JDK: the jar's manifest opens it ({@code Add-Opens:
 * java.base/sun.nio.fs}). Started otherwise without {@code --add-opens java.base/sun.nio.fs=ALL-UNNAMED},
 * or without procfs, files are opened by path as before, and one warning says what that risks.
 */
final class RegularFileOpener {
    private static final Logger log = LoggerFactory.getLogger(RegularFileOpener.class);

    /** Linux's {@code O_NONBLOCK} (the generic value, used by x86, arm and riscv). */
    private static final int O_NONBLOCK = 04000;
    private static final int ENOENT = 2;
    private static final int ENXIO = 6;
    private static final int EACCES = 13;
    private static final int ENOTDIR = 20;
    private static final int ELOOP = 40;
    private static final Path OWN_DESCRIPTORS = Path.of("/proc/self/fd");

    /** The one opener of this process; made on the first open, on the blocking pool. */
    private static final class Shared {
        static final RegularFileOpener INSTANCE = create();
    }

    /** {@code int open(UnixPath, int flags, int mode)}, or {@code null} when this JVM does not let it be called. */
    private final Method open;
    private final Method close;
    private final Method errno;
    private final int flags;

    private RegularFileOpener(Method open, Method close, Method errno, int flags) {
        this.open = open;
        this.close = close;
        this.errno = errno;
        this.flags = flags;
    }

    static RegularFileOpener shared() {
        return Shared.INSTANCE;
    }

    private static RegularFileOpener create() {
        if (!Files.isDirectory(OWN_DESCRIPTORS)) {
            log.warn("no {}: files are opened without checking their type on the open descriptor, and a file"
                    + " replaced by a FIFO at the wrong moment holds a blocking-pool thread until a writer opens it",
                    OWN_DESCRIPTORS);
            return new RegularFileOpener(null, null, null, 0);
        }
        try {
            Class<?> dispatcher = Class.forName("sun.nio.fs.UnixNativeDispatcher");
            Class<?> unixPath = Class.forName("sun.nio.fs.UnixPath");
            Class<?> constants = Class.forName("sun.nio.fs.UnixConstants");
            Method open = dispatcher.getDeclaredMethod("open", unixPath, int.class, int.class);
            Method close = dispatcher.getDeclaredMethod("close", int.class);
            Method errno = Class.forName("sun.nio.fs.UnixException").getDeclaredMethod("errno");
            open.setAccessible(true);
            close.setAccessible(true);
            errno.setAccessible(true);
            int flags = constant(constants, "O_RDONLY") | constant(constants, "O_NOFOLLOW") | O_NONBLOCK;
            return new RegularFileOpener(open, close, errno, flags);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot open files without waiting on FIFOs ({}): start with java -jar, or add"
                    + " --add-opens java.base/sun.nio.fs=ALL-UNNAMED; until then a file replaced by a FIFO at the"
                    + " wrong moment holds a blocking-pool thread until a writer opens it", e.toString());
            return new RegularFileOpener(null, null, null, 0);
        }
    }

    private static int constant(Class<?> constants, String name) throws ReflectiveOperationException {
        java.lang.reflect.Field field = constants.getDeclaredField(name);
        field.setAccessible(true);
        return field.getInt(null);
    }

    /** A regular file opened for reading, with its attributes as read from the open descriptor. */
    record Opened(FileChannel channel, BasicFileAttributes attributes) {
    }

    /**
     * Opens {@code real} (a resolved path, not followed if it is a symbolic link by now).
     *
     * @return the open file, or {@code null} when it is not a regular file (any more)
     * @throws NoSuchFileException   when it is gone
     * @throws AccessDeniedException when it may not be read
     * @throws IOException           when it could not be opened or measured for any other reason
     */
    Opened open(Path real) throws IOException {
        if (open == null) {
            return openByPath(real);
        }
        int fd = openNonBlocking(real);
        if (fd < 0) {
            return null;
        }
        try {
            Path descriptor = OWN_DESCRIPTORS.resolve(Integer.toString(fd));
            BasicFileAttributes attributes = Files.readAttributes(descriptor, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                log.debug("{}: not a regular file once opened", real);
                return null;
            }
            return new Opened(FileChannel.open(descriptor, StandardOpenOption.READ), attributes);
        } finally {
            closeDescriptor(fd);
        }
    }

    /** The plain way, for JVMs that keep the dispatcher closed: the FIFO race stays open. */
    private static Opened openByPath(Path real) throws IOException {
        FileChannel channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try {
            return new Opened(channel, Files.readAttributes(real, BasicFileAttributes.class));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** The descriptor, or {@code -1} for what cannot be opened because it is not a regular file. */
    private int openNonBlocking(Path real) throws IOException {
        try {
            return (int) open.invoke(null, real, flags, 0);
        } catch (InvocationTargetException e) {
            int error = errno(e.getCause());
            switch (error) {
                case ENOENT, ENOTDIR -> throw new NoSuchFileException(real.toString());
                case EACCES -> throw new AccessDeniedException(real.toString());
                // a socket (ENXIO), or a symbolic link swapped in after the path was resolved (ELOOP)
                case ENXIO, ELOOP -> {
                    return -1;
                }
                default -> throw new FileSystemException(real.toString(), null, e.getCause().getMessage());
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("the dispatcher was made accessible", e);
        }
    }

    private int errno(Throwable unixException) throws IOException {
        try {
            return (int) errno.invoke(unixException);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new IOException(unixException);
        }
    }

    private void closeDescriptor(int fd) {
        try {
            close.invoke(null, fd);
        } catch (ReflectiveOperationException e) {
            log.warn("cannot close descriptor {}: {}", fd, e.toString());
        }
    }
}
