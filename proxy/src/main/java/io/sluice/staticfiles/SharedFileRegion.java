package io.sluice.staticfiles;

import io.netty.channel.DefaultFileRegion;

import java.io.IOException;

/**
 * A {@link DefaultFileRegion} (so epoll still uses {@code sendfile}) over a descriptor shared through the
 * open-file cache: releasing it releases its reference instead of closing the descriptor. A region
 * released short of a file that no longer reaches its end marks the file suspect, so a truncated file is
 * looked up afresh by the next request instead of failing until its cache entry expires.
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
        if (transferred() < count() && endsBeforeRegion()) {
            file.markSuspect();
        }
        file.release();
    }

    /**
     * The count alone cannot tell: io_uring splices through a wrapper of its own and never advances this
     * region's, so every complete send would look short there and send the next request back to the
     * blocking pool. One {@code fstat} of the open descriptor settles it (a client that left early is no
     * reason to look the file up again either).
     */
    private boolean endsBeforeRegion() {
        try {
            return file.channel().size() < position() + count();
        } catch (IOException e) {
            return true;
        }
    }
}
