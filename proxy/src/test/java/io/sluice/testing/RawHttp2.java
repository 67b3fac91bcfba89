package io.sluice.testing;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A cleartext HTTP/2 client (prior knowledge) that writes hand-built frames, for floods and malformed input
 * a real client would never send. Writes are buffered until {@link #flush()}; {@link #tryWrite} reports a
 * connection the server has closed instead of throwing, because a flood is expected to be cut off.
 */
public final class RawHttp2 implements AutoCloseable {
    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int PING = 0x6;
    public static final int GOAWAY = 0x7;
    public static final int WINDOW_UPDATE = 0x8;
    public static final int CONTINUATION = 0x9;

    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;

    public static final int PROTOCOL_ERROR = 0x1;
    public static final int ENHANCE_YOUR_CALM = 0xb;

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private long bytesWritten;

    /**
     * Connects, sends the preface and an empty SETTINGS frame. The receive buffer is kept small so that a
     * client that does not read makes the server's writes back up after a few frames, not megabytes.
     */
    public RawHttp2(String host, int port) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setSoTimeout(10_000);
        out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        in = new DataInputStream(socket.getInputStream());
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        write(SETTINGS, 0, 0, new byte[0]);
        flush();
    }

    public void write(int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(frame(type, flags, stream, payload));
        bytesWritten += 9 + payload.length;
    }

    /** Like {@link #write} but false, instead of an exception, once the server has closed the connection. */
    public boolean tryWrite(int type, int flags, int stream, byte[] payload) {
        try {
            write(type, flags, stream, payload);
            return true;
        } catch (IOException closedByServer) {
            return false;
        }
    }

    public void flush() throws IOException {
        out.flush();
    }

    /** Frame bytes handed to the socket so far, the preface not counted. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** The next frame from the server, or null once it has closed the connection. */
    public Frame read() throws IOException {
        try {
            int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            return new Frame(type, flags, stream, in.readNBytes(length));
        } catch (EOFException | SocketException closed) {
            return null;
        }
    }

    /** Reads until GOAWAY and returns its error code; fails if the server closes without one. */
    public int readGoAwayCode() throws IOException {
        for (Frame frame = read(); frame != null; frame = read()) {
            if (frame.type() == GOAWAY) {
                return frame.intAt(4);
            }
        }
        throw new AssertionError("the connection closed without GOAWAY");
    }

    /** Whether the server closes the connection (after any frames) within the socket's read timeout. */
    public boolean closesWithinTimeout() throws IOException {
        try {
            while (read() != null) {
                // frames before the close do not matter here
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        }
    }

    /** A HEADERS block for GET {@code path} on host localhost, with static-table and literal fields only. */
    public static byte[] getRequest(String path) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82);
        block.write(0x86);
        block.write(0x04);
        literal(block, path);
        block.write(0x01);
        literal(block, "localhost");
        return block.toByteArray();
    }

    /** A HEADERS block for POST {@code path} on host localhost. */
    public static byte[] postRequest(String path) {
        byte[] get = getRequest(path);
        get[0] = (byte) 0x83;
        return get;
    }

    /** An HPACK string literal without Huffman coding, for values shorter than 127 bytes. */
    public static void literal(ByteArrayOutputStream block, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > 126) {
            throw new IllegalArgumentException("longer literals need a multi-byte length");
        }
        block.write(bytes.length);
        block.writeBytes(bytes);
    }

    public static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (stream >>> 24);
        frame[6] = (byte) (stream >>> 16);
        frame[7] = (byte) (stream >>> 8);
        frame[8] = (byte) stream;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    public record Frame(int type, int flags, int stream, byte[] payload) {
        public int intAt(int offset) {
            return ((payload[offset] & 0xff) << 24) | ((payload[offset + 1] & 0xff) << 16)
                    | ((payload[offset + 2] & 0xff) << 8) | (payload[offset + 3] & 0xff);
        }
    }
}
