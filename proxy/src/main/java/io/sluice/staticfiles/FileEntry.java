package io.sluice.staticfiles;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;

import java.nio.file.Path;
import java.util.Date;

/**
 * What the open-file cache knows about one request path below the root: whether it is a servable file,
 * a directory or nothing, and for a file the header values a response needs, formatted once when the
 * entry is made so that a cache hit copies references instead of formatting strings.
 *
 * @param kind         what the path names
 * @param file         the resolved path (a real path inside the policy) of the file or directory
 * @param size         the file's size in bytes
 * @param lastModifiedSeconds modification time in whole seconds, as HTTP dates compare it
 * @param etag         strong validator from size and modification time (nanosecond precision)
 * @param lastModified the IMF-fixdate of {@code lastModifiedSeconds}
 * @param contentType  Content-Type value, charset included for text
 * @param contentLength {@code size} as a header value
 * @param brotli       the {@code .br} file beside this one, when precompressed serving found one
 * @param gzip         the {@code .gz} file beside this one, when precompressed serving found one
 * @param index        for a directory: its first existing index file
 */
record FileEntry(Kind kind, Path file, long size, long lastModifiedSeconds, AsciiString etag,
                 AsciiString lastModified, AsciiString contentType, AsciiString contentLength,
                 FileEntry brotli, FileEntry gzip, FileEntry index) {

    enum Kind { FILE, DIRECTORY, MISSING }

    static final FileEntry MISSING = new FileEntry(Kind.MISSING, null, 0, 0, null, null, null, null, null, null, null);

    static FileEntry directory(Path directory, FileEntry index) {
        return new FileEntry(Kind.DIRECTORY, directory, 0, 0, null, null, null, null, null, null, index);
    }

    static FileEntry file(Path file, long size, long modifiedNanos, String etagSuffix, AsciiString contentType,
                          FileEntry brotli, FileEntry gzip) {
        long seconds = Math.floorDiv(modifiedNanos, 1_000_000_000L);
        AsciiString etag = AsciiString.cached("\"" + Long.toHexString(modifiedNanos) + "-" + Long.toHexString(size)
                + etagSuffix + "\"");
        AsciiString lastModified = AsciiString.cached(DateFormatter.format(new Date(seconds * 1000)));
        return new FileEntry(Kind.FILE, file, size, seconds, etag, lastModified, contentType,
                AsciiString.cached(Long.toString(size)), brotli, gzip, null);
    }

    boolean hasVariants() {
        return brotli != null || gzip != null;
    }
}
