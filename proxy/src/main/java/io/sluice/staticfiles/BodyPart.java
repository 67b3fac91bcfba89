package io.sluice.staticfiles;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * One stretch of a file response: optional bytes written before it (a multipart boundary and part
 * headers) and a range of an open file. Each part owns its file channel, because a
 * {@link io.netty.channel.DefaultFileRegion} closes the channel it was given when it is released.
 */
record BodyPart(byte[] head, FileChannel file, long position, long length) {

    void close() {
        try {
            file.close();
        } catch (IOException ignored) {
            // nothing was written through this channel; a failed close loses nothing
        }
    }
}
