package io.sluice.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Sits in front of the TLS handler and keeps a client's {@code close_notify} from it until the HTTP stage owes
 * the client nothing more, so that the responses to the requests the client sent before it still leave.
 *
 * <p>Why: Netty's OpenSSL engine (4.2.18, {@code ReferenceCountedOpenSslEngine.unwrap}) answers a received
 * {@code close_notify} by closing its own side at once ({@code closeAll}, netty/netty#6167), and the
 * {@code SslHandler} then fails every later write with "SSLEngine closed already". BoringSSL itself would go on
 * writing, and TLS 1.3 lets it (RFC 8446 §6.1: a close_notify closes only the sender's direction). A request
 * that came in the same read as the close_notify got no response at all, and one that came just before lost
 * the rest of its response at the moment the record was read (a download cut after the bytes already
 * encrypted). nginx answers both and closes once its next read finds the end of the session.
 *
 * <p>How: the records cannot be decrypted here, so this handler recognises a record that can be a close_notify
 * by its framing alone: the last whole record of a read that is an alert (content type 21: TLS 1.2, after the
 * handshake) or a small TLS 1.3 record. A TLS 1.3 close_notify is two bytes of alert, the inner content type and
 * a 16-byte AEAD tag (every TLS 1.3 cipher suite BoringSSL offers has that tag): 19 bytes, or 35 from the JDK's
 * client, which pads short records with 16 zeros. It holds a copy of that record while the {@link Reader} (the
 * connection's clocks) says that a response is owed, and hands it on as soon as the reader waits for the
 * client's bytes again: after the read, when an exchange has ended or a handler asks for body bytes
 * ({@link #readerWaits}), or at once when more bytes come behind it.
 *
 * <p>A short record of application data looks the same and is held the same way, which costs an HTTP/1.1
 * connection nothing: bytes it holds are bytes nobody has asked for yet. An HTTP/2 connection reads its
 * client's frames while its streams are open and must see a WINDOW_UPDATE at once, so there only a record of
 * 19 bytes is held, which carries two bytes, less than any frame: a padded close_notify (the JDK's) ends such
 * a connection as it did before, when the engine reads it. So does a close_notify that does not end its read.
 */
public final class CloseNotifyHold extends ChannelInboundHandlerAdapter {

    /** Whoever knows whether the client is owed a response: the connection's clocks. */
    public interface Reader {
        /** True while the connection waits for the client's bytes and owes it no response that has not left. */
        boolean waitsForBytes();
    }

    private static final int HEADER_LENGTH = 5;
    private static final int CHANGE_CIPHER_SPEC = 20;
    private static final int ALERT = 21;
    private static final int APPLICATION_DATA = 23;
    private static final int HEARTBEAT = 24;
    private static final int SEALED_ALERT_LENGTH = 2 + 1 + 16;
    private static final int PADDED_SEALED_ALERT_LENGTH = SEALED_ALERT_LENGTH + 16;
    /**
     * An alert is two bytes plus a cipher's overhead, at most 80 with a CBC suite and a 48-byte MAC; a larger
     * record of that type is no alert and is left alone.
     */
    private static final int MAX_ALERT_RECORD_LENGTH = 128;

    private final Reader reader;
    private ChannelHandlerContext ctx;
    /** The handshake is done: from now on TLS 1.2 alert records are held too. */
    private boolean established;
    /** The longest TLS 1.3 record held: until the handshake is done, as for HTTP/1.1. */
    private int sealedAlertLength = PADDED_SEALED_ALERT_LENGTH;
    /** The bytes are not TLS records (or the reader has gone): everything passes untouched. */
    private boolean passThrough;
    /** Bytes are on their way through the pipeline from here: the end of that pass looks at the reader. */
    private boolean passing;
    private boolean releaseScheduled;
    private byte[] held;
    /** Where the parse stands between reads: bytes of the current record still to come, and header bytes seen. */
    private int recordLeft;
    private int headerSeen;
    private int headerLength;

    public CloseNotifyHold(Reader reader) {
        this.reader = reader;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** The TLS handshake has succeeded, with TLS 1.3 or not, for HTTP/2 or HTTP/1.1. */
    public void established(boolean tls13, boolean http2) {
        established = true;
        sealedAlertLength = !tls13 ? 0 : http2 ? SEALED_ALERT_LENGTH : PADDED_SEALED_ALERT_LENGTH;
    }

    /**
     * The connection now waits for the client's bytes (an exchange has ended, a handler asks for body bytes).
     * Called from within the HTTP stage, so a held record goes on from a task of its own, and only if the reader
     * still waits by then: bytes read ahead may have answered it meanwhile.
     */
    public void readerWaits() {
        if (held != null && !passing && !releaseScheduled) {
            releaseScheduled = true;
            ctx.executor().execute(() -> {
                releaseScheduled = false;
                if (ctx.channel().isActive()) {
                    releaseIfReaderWaits(true);
                }
            });
        }
    }

    /** The HTTP stage has left (a tunnel took over): nothing is held from now on. */
    public void stop() {
        passThrough = true;
        if (held != null && ctx.channel().isActive()) {
            release(true);
        }
        held = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held != null) {
            // bytes behind the held record: it was not the end of the session (or the client ignores its own end)
            release(false);
        }
        if (passThrough || !(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        int start = lastRecordToHold(in);
        if (start < 0) {
            ctx.fireChannelRead(in);
            return;
        }
        byte[] record = new byte[in.writerIndex() - start];
        in.getBytes(start, record);
        in.writerIndex(start);
        held = record;
        passing = true;
        try {
            if (in.isReadable()) {
                ctx.fireChannelRead(in);
            } else {
                in.release();
            }
        } finally {
            passing = false;
        }
        releaseIfReaderWaits(false);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        passing = true;
        try {
            ctx.fireChannelReadComplete();
        } finally {
            passing = false;
        }
        // the HTTP stage renews its wish to read when the read complete finds it still waiting
        releaseIfReaderWaits(true);
    }

    private void releaseIfReaderWaits(boolean completeRead) {
        if (held != null && reader.waitsForBytes()) {
            release(completeRead);
        }
    }

    /**
     * Hands the held record on. What the HTTP stage wrote before is wrapped first: an HTTP/2 connection's flushes
     * are held back while it reads, and the engine encrypts nothing more once it has read a close_notify.
     */
    private void release(boolean completeRead) {
        byte[] record = held;
        held = null;
        // a flush from the stage right behind the TLS handler reaches that handler first, whatever holds flushes later
        ChannelHandlerContext behindTls = ctx.pipeline().context(TlsSessionEnd.class);
        if (behindTls != null) {
            behindTls.flush();
        }
        ctx.fireChannelRead(Unpooled.wrappedBuffer(record));
        if (completeRead) {
            ctx.fireChannelReadComplete();
        }
    }

    /**
     * Follows the record framing across reads; returns where the read's last record starts when it is whole,
     * ends the read and may be a close_notify, or -1.
     */
    private int lastRecordToHold(ByteBuf in) {
        int index = in.readerIndex();
        int end = in.writerIndex();
        int candidate = -1;
        while (index < end) {
            if (recordLeft > 0) {
                int skipped = Math.min(recordLeft, end - index);
                index += skipped;
                recordLeft -= skipped;
                candidate = -1;
            } else if (headerSeen > 0 || end - index < HEADER_LENGTH) {
                // a header split across reads: its record started in an earlier read and is never held
                index = readHeaderByte(in, index);
                candidate = -1;
                if (passThrough) {
                    return -1;
                }
            } else {
                int type = in.getUnsignedByte(index);
                int length = in.getUnsignedShort(index + 3);
                if (!isRecordType(type)) {
                    passThrough = true;
                    return -1;
                }
                candidate = index;
                index += HEADER_LENGTH;
                int body = Math.min(length, end - index);
                index += body;
                recordLeft = length - body;
                if (recordLeft > 0 || !mayBeCloseNotify(type, length)) {
                    candidate = -1;
                }
            }
        }
        return candidate;
    }

    private int readHeaderByte(ByteBuf in, int index) {
        int value = in.getUnsignedByte(index);
        if (headerSeen == 0) {
            passThrough = !isRecordType(value);
        } else if (headerSeen == 3) {
            headerLength = value << 8;
        } else if (headerSeen == 4) {
            headerLength |= value;
        }
        if (++headerSeen == HEADER_LENGTH) {
            headerSeen = 0;
            recordLeft = headerLength;
        }
        return index + 1;
    }

    private boolean mayBeCloseNotify(int type, int length) {
        return type == APPLICATION_DATA && length >= SEALED_ALERT_LENGTH && length <= sealedAlertLength
                || type == ALERT && established && length <= MAX_ALERT_RECORD_LENGTH;
    }

    private static boolean isRecordType(int type) {
        return type >= CHANGE_CIPHER_SPEC && type <= HEARTBEAT;
    }
}
