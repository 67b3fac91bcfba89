package io.sluice.staticfiles;

import io.netty.util.AbstractReferenceCounted;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A file descriptor kept open by the open-file cache, as nginx's {@code open_file_cache} does, so a hot
 * file costs no {@code open}/{@code close} per request. The cache entry holds one reference and every
 * response that sends from it holds another; the descriptor closes when the last one is released. All
 * reads are positional ({@code sendfile} with an offset, {@code pread}), so any number of responses on any
 * loop share it safely.
 */
final class OpenFile extends AbstractReferenceCounted {
    private final FileChannel channel;
    /** Set when a send ended short: the file may have been truncated, so the entry is looked up again. */
    private volatile boolean suspect;

    OpenFile(FileChannel channel) {
        this.channel = channel;
    }

    FileChannel channel() {
        return channel;
    }

    /** Takes a reference unless the descriptor was already closed by an eviction on another thread. */
    boolean tryRetain() {
        try {
            retain();
            return true;
        } catch (IllegalReferenceCountException e) {
            return false;
        }
    }

    void markSuspect() {
        suspect = true;
    }

    boolean suspect() {
        return suspect;
    }

    @Override
    protected void deallocate() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // a read-only descriptor loses nothing when its close fails
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        return this;
    }
}
