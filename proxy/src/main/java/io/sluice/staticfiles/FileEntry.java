package io.sluice.staticfiles;

import io.netty.util.AsciiString;
import io.sluice.util.HttpDate;

import java.nio.file.Path;

/**
 * What the open-file cache knows about one request path below the root: whether it is a servable file,
 * a directory or nothing, and for a file its open descriptor and the header values a response needs,
 * formatted once when the entry is made so that a cache hit copies references instead of formatting.
 *
 * @param kind          what the path names
 * @param path          the resolved path (a real path allowed by the symlink policy) of the file or directory
 * @param file          the open descriptor of a file
 * @param size          the file's size in bytes when it was opened
 * @param lastModifiedSeconds modification time in whole seconds, as HTTP dates compare it
 * @param etag          strong validator from size and modification time (nanosecond precision)
 * @param lastModified  the IMF-fixdate of {@code lastModifiedSeconds}
 * @param contentType   Content-Type value, charset included for text
 * @param contentLength {@code size} as a header value
 * @param brotli        the {@code .br} file beside this one, when precompressed serving found one
 * @param gzip          the {@code .gz} file beside this one, when precompressed serving found one
 * @param index         for a directory: its first existing index file
 */
record FileEntry(Kind kind, Path path, OpenFile file, long size, long lastModifiedSeconds, AsciiString etag,
                 AsciiString lastModified, AsciiString contentType, AsciiString contentLength,
                 FileEntry brotli, FileEntry gzip, FileEntry index) {

    enum Kind { FILE, DIRECTORY, MISSING }

    static final FileEntry MISSING = new FileEntry(Kind.MISSING, null, null, 0, 0, null, null, null, null, null, null, null);

    static FileEntry directory(Path directory, FileEntry index) {
        return new FileEntry(Kind.DIRECTORY, directory, null, 0, 0, null, null, null, null, null, null, index);
    }

    static FileEntry file(Path path, OpenFile file, long size, long modifiedNanos, String etagSuffix,
                          AsciiString contentType, FileEntry brotli, FileEntry gzip) {
        long seconds = Math.floorDiv(modifiedNanos, 1_000_000_000L);
        AsciiString etag = AsciiString.cached("\"" + Long.toHexString(modifiedNanos) + "-" + Long.toHexString(size)
                + etagSuffix + "\"");
        AsciiString lastModified = AsciiString.cached(HttpDate.format(seconds));
        return new FileEntry(Kind.FILE, path, file, size, seconds, etag, lastModified, contentType,
                AsciiString.cached(Long.toString(size)), brotli, gzip, null);
    }

    boolean hasVariants() {
        return brotli != null || gzip != null;
    }

    /** One more reference on every descriptor this entry holds (its own, its variants', its index's). */
    void retain() {
        if (file != null) {
            file.retain();
        }
        for (FileEntry nested : new FileEntry[] {brotli, gzip, index}) {
            if (nested != null) {
                nested.retain();
            }
        }
    }

    void release() {
        if (file != null) {
            file.release();
        }
        for (FileEntry nested : new FileEntry[] {brotli, gzip, index}) {
            if (nested != null) {
                nested.release();
            }
        }
    }
}
