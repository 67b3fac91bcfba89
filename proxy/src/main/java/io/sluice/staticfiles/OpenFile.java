package io.sluice.staticfiles;

import io.netty.util.AbstractReferenceCounted;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A file descriptor kept open by the open-file cache, as nginx's {@code open_file_cache} does, so a hot
 * file costs no {@code open}/{@code close} per request, and for a small file that had settled when it was
 * opened, a copy of its bytes, so a hit costs no {@code pread} either. The cache entry holds one reference
 * and every response that sends from the descriptor holds another; the descriptor closes, and the copy's
 * bytes go back to the {@link ContentBudget}, when the last one is released. All reads are positional
 * ({@code sendfile} with an offset, {@code pread}), so any number of responses on any loop share it safely.
 */
final class OpenFile extends AbstractReferenceCounted {
    private final FileChannel channel;
    /** Read once on the blocking pool and never written again; a plain array, so no buffer can leak. */
    private final byte[] content;
    private final ContentBudget budget;
    /** Set when a send ended short: the file may have been truncated, so the entry is looked up again. */
    private volatile boolean suspect;

    OpenFile(FileChannel channel) {
        this(channel, null, null);
    }

    /** {@code content}, when given, is the whole file, whose size was reserved from {@code budget}. */
    OpenFile(FileChannel channel, byte[] content, ContentBudget budget) {
        this.channel = channel;
        this.content = content;
        this.budget = budget;
    }

    FileChannel channel() {
        return channel;
    }

    /** The whole file as it was when opened, or {@code null} when it is read from the descriptor. */
    byte[] content() {
        return content;
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
        if (content != null) {
            budget.giveBack(content.length);
        }
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
