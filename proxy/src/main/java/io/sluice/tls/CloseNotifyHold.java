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
 * <p>How: the records cannot be decrypted here, so this handler recognises the record that can be a
 * close_notify by its framing alone: the last whole record of a read that is an alert (content type 21, TLS
 * 1.2, only after the handshake) or a TLS 1.3 sealed record of 19 bytes (two bytes of alert, the inner content
 * type and a 16-byte AEAD tag; every TLS 1.3 cipher suite BoringSSL offers has that tag). It holds a copy of
 * that record while the {@link Reader} (the connection's clocks) says that a response is owed, and hands it on
 * as soon as the reader waits for the client's bytes again: after the read, when the exchange in flight has
 * ended ({@link #readerWaits}), or at once when more bytes come behind it. A TLS 1.3 record of two bytes of
 * application data looks the same; it is held the same way and handed on as soon as anything asks for more
 * bytes, so only an HTTP/2 client that splits a frame so that its last two bytes travel alone and then waits
 * would wait for the streams in flight to end. A client that pads its close_notify is not recognised and is
 * treated as before: the engine closes on it.
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
    /** An alert record is two bytes plus a cipher's overhead; larger records of that type are left alone. */
    private static final int MAX_ALERT_RECORD_LENGTH = 64;

    private final Reader reader;
    private ChannelHandlerContext ctx;
    /** The handshake is done: from now on TLS 1.2 alert records are held too. */
    private boolean established;
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

    /** The TLS handshake has succeeded. */
    public void established() {
        established = true;
    }

    /**
     * The connection now waits for the client's bytes (an exchange has ended). Called from within the HTTP stage,
     * so a held record goes on from a task of its own, and only if the reader still waits by then.
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
        return type == APPLICATION_DATA && length == SEALED_ALERT_LENGTH
                || type == ALERT && established && length <= MAX_ALERT_RECORD_LENGTH;
    }

    private static boolean isRecordType(int type) {
        return type >= CHANGE_CIPHER_SPEC && type <= HEARTBEAT;
    }
}
