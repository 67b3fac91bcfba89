package io.sluice.tls;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A TLS client whose engine the test drives by hand over a plain socket, so that the test decides what leaves
 * in one write: a request and the client's close_notify together, say, which no socket API of the JDK sends.
 */
final class HandDrivenTlsClient implements AutoCloseable {
    private final Socket socket;
    private final SSLEngine engine;
    private final InputStream in;
    private ByteBuffer received = ByteBuffer.allocate(1 << 16);
    private ByteBuffer plain;

    private HandDrivenTlsClient(Socket socket, SSLEngine engine) throws IOException {
        this.socket = socket;
        this.engine = engine;
        this.in = socket.getInputStream();
        this.plain = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
    }

    /** Connects and completes the handshake, offering {@code protocol} by ALPN and only TLS {@code version}. */
    static HandDrivenTlsClient connect(SSLContext context, int port, String protocol, String version)
            throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        SSLEngine engine = context.createSSLEngine("localhost", port);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {protocol});
        parameters.setProtocols(new String[] {version});
        engine.setSSLParameters(parameters);
        HandDrivenTlsClient client = new HandDrivenTlsClient(socket, engine);
        client.handshake();
        return client;
    }

    private void handshake() throws IOException {
        engine.beginHandshake();
        SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        while (status != SSLEngineResult.HandshakeStatus.FINISHED
                && status != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
            switch (status) {
                case NEED_WRAP -> {
                    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
                    status = engine.wrap(ByteBuffer.allocate(0), out).getHandshakeStatus();
                    socket.getOutputStream().write(out.array(), 0, out.position());
                }
                case NEED_UNWRAP -> {
                    received.flip();
                    SSLEngineResult result = engine.unwrap(received, plain);
                    received.compact();
                    if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && !readMore()) {
                        throw new IOException("closed during the handshake");
                    }
                    status = result.getHandshakeStatus();
                }
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                    status = engine.getHandshakeStatus();
                }
                default -> throw new IllegalStateException(status.toString());
            }
        }
    }

    /** {@code plaintext} as the records the engine makes of it. */
    byte[] seal(byte[] plaintext) throws SSLException {
        ByteBuffer source = ByteBuffer.wrap(plaintext);
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        while (source.hasRemaining()) {
            out.clear();
            engine.wrap(source, out);
            records.write(out.array(), 0, out.position());
        }
        return records.toByteArray();
    }

    /** The client's close_notify: after it the client sends nothing more in this session. */
    byte[] closeNotify() throws SSLException {
        engine.closeOutbound();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    /** Everything in one write of the socket. */
    void send(byte[]... parts) throws IOException {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.write(part);
        }
        socket.getOutputStream().write(joined.toByteArray());
        socket.getOutputStream().flush();
    }

    /**
     * Reads until at least {@code atLeast} bytes of plaintext have arrived or the server closes; everything read
     * goes to {@code into}. Returns false when the server has closed.
     */
    boolean readAtLeast(long atLeast, ByteArrayOutputStream into) throws IOException {
        long start = into.size();
        while (into.size() - start < atLeast) {
            if (!unwrapAvailable(into) && !readMore()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads until the server closes the connection, adding what it sends to {@code into}; fails when it has not
     * closed within {@code millis}. Returns how long the close took.
     */
    long readUntilClosed(ByteArrayOutputStream into, int millis) throws IOException {
        long start = System.nanoTime();
        socket.setSoTimeout(millis);
        try {
            do {
                unwrapAvailable(into);
            } while (readMore());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was still open after " + millis + " ms, having received "
                    + into.size() + " bytes", e);
        }
        unwrapAvailable(into);
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Unwraps what has been received; true when that gave plaintext. */
    private boolean unwrapAvailable(ByteArrayOutputStream into) throws SSLException {
        boolean produced = false;
        received.flip();
        try {
            while (received.hasRemaining()) {
                plain.clear();
                SSLEngineResult result = engine.unwrap(received, plain);
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    plain = ByteBuffer.allocate(plain.capacity() * 2);
                    continue;
                }
                into.write(plain.array(), 0, plain.position());
                produced |= plain.position() > 0;
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null) {
                    task.run();
                }
                if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() == 0) {
                    // underflow: the rest of a record is still to come; closed: the server's close_notify
                    break;
                }
            }
        } finally {
            received.compact();
        }
        return produced;
    }

    private boolean readMore() throws IOException {
        if (!received.hasRemaining()) {
            ByteBuffer larger = ByteBuffer.allocate(received.capacity() * 2);
            received.flip();
            larger.put(received);
            received = larger;
        }
        int read = in.read(received.array(), received.position(), received.remaining());
        if (read < 0) {
            return false;
        }
        received.position(received.position() + read);
        return true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
