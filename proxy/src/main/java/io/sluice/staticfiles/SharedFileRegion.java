package io.sluice.staticfiles;

import io.netty.channel.DefaultFileRegion;

/**
 * A {@link DefaultFileRegion} (so epoll still uses {@code sendfile}) over a descriptor shared through the
 * open-file cache: releasing it releases its reference instead of closing the descriptor. A region
 * released before all its bytes went out marks the file suspect, so a truncated file is looked up afresh
 * by the next request instead of failing until its cache entry expires.
 */
final class SharedFileRegion extends DefaultFileRegion {
    private final OpenFile file;

    /** Takes over one reference of {@code file}. */
    SharedFileRegion(OpenFile file, long position, long count) {
        super(file.channel(), position, count);
        this.file = file;
    }

    @Override
    protected void deallocate() {
        if (transferred() < count()) {
            file.markSuspect();
        }
        file.release();
    }
}
