package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.sluice.testing.RawHttp2;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A misbehaving HTTP/2 upstream (cleartext, prior knowledge) that writes frames by hand, so that a test
 * sends what Netty's own server codec never would: a GOAWAY naming an earlier stream than those in flight,
 * PUSH_PROMISE to a client that disabled push, a refusal before any head. It answers SETTINGS and PINGs,
 * gives back flow-control credit for request bodies unless a stream is starved, and for each request head
 * calls the {@link Script} registered for its path on the connection's reader thread; a script registered
 * with {@link #onEnd} is called instead when the request has ended, its body in {@link Peer#body}.
 */
final class ScriptedHttp2Backend implements AutoCloseable {
    private static final int SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
    private static final int PUSH_PROMISE = 0x5;
    private static final int ACK = 0x1;
    private static final int PADDED = 0x8;
    private static final int PRIORITY = 0x20;
    private static final int MAX_FRAME_SIZE = 16_384;

    @FunctionalInterface
    interface Script {
        void answer(Peer peer, int stream, Http2Headers request) throws IOException, InterruptedException;
    }

    /** A request head as the backend read it. */
    record Received(int connection, int stream, String path) {
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    /** Request body bytes received on starved streams, which were given no credit back. */
    final AtomicLong starvedBytes = new AtomicLong();
    /** SETTINGS frames acknowledged by the proxy, the answer to the first one included. */
    final AtomicInteger settingsAcks = new AtomicInteger();
    /** The payloads of the PING ACKs received: the proxy had read every frame sent before the PING. */
    final Set<Long> pingAcks = ConcurrentHashMap.newKeySet();
    private final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private final Map<String, Script> endScripts = new ConcurrentHashMap<>();
    private final ServerSocket server;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final int maxConcurrentStreams;

    ScriptedHttp2Backend(int maxConcurrentStreams) throws IOException {
        this.maxConcurrentStreams = maxConcurrentStreams;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "scripted-h2-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        on("/ok", (peer, stream, request) -> peer.answer(stream, "200", "ok"));
    }

    ScriptedHttp2Backend on(String path, Script script) {
        scripts.put(path, script);
        return this;
    }

    /** {@code script} answers {@code path} once the request has ended (END_STREAM on its HEADERS or DATA). */
    ScriptedHttp2Backend onEnd(String path, Script script) {
        endScripts.put(path, script);
        return this;
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    int connections() {
        return connections.get();
    }

    List<Received> receivedFor(String path) {
        return received.stream().filter(request -> request.path().equals(path)).toList();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Peer peer = new Peer(socket, connections.incrementAndGet());
                Thread serving = new Thread(peer::serve, "scripted-h2-" + peer.number);
                serving.setDaemon(true);
                serving.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** One connection from the proxy; frames are written whole under its lock. */
    final class Peer {
        final int number;
        private final Socket socket;
        private final OutputStream out;
        private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
        private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
        private final Set<Integer> starved = ConcurrentHashMap.newKeySet();
        /** The path and the body so far of each stream whose request has not ended; reader thread only. */
        private final Map<Integer, String> paths = new ConcurrentHashMap<>();
        private final Map<Integer, Http2Headers> heads = new ConcurrentHashMap<>();
        private final Map<Integer, ByteArrayOutputStream> bodies = new ConcurrentHashMap<>();

        Peer(Socket socket, int number) throws IOException {
            this.socket = socket;
            this.number = number;
            this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        }

        private void serve() {
            try (socket) {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                in.readNBytes(24);
                byte[] settings = new byte[6];
                settings[1] = SETTINGS_MAX_CONCURRENT_STREAMS;
                settings[2] = (byte) (maxConcurrentStreams >>> 24);
                settings[3] = (byte) (maxConcurrentStreams >>> 16);
                settings[4] = (byte) (maxConcurrentStreams >>> 8);
                settings[5] = (byte) maxConcurrentStreams;
                frame(RawHttp2.SETTINGS, 0, 0, settings);
                for (;;) {
                    int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    int flags = in.readUnsignedByte();
                    int stream = in.readInt() & 0x7fffffff;
                    byte[] payload = in.readNBytes(length);
                    read(type, flags, stream, payload);
                }
            } catch (EOFException | SocketException e) {
                // the proxy closed the connection, or the script did
            } catch (IOException | InterruptedException | Http2Exception e) {
                // the test is over
            }
        }

        private void read(int type, int flags, int stream, byte[] payload)
                throws IOException, InterruptedException, Http2Exception {
            switch (type) {
                case RawHttp2.SETTINGS -> {
                    if ((flags & ACK) == 0) {
                        frame(RawHttp2.SETTINGS, ACK, 0, new byte[0]);
                    } else {
                        settingsAcks.incrementAndGet();
                    }
                }
                case RawHttp2.PING -> {
                    if ((flags & ACK) == 0) {
                        frame(RawHttp2.PING, ACK, 0, payload);
                    } else {
                        pingAcks.add(ByteBuffer.wrap(payload).getLong());
                    }
                }
                case RawHttp2.HEADERS -> {
                    Http2Headers headers = decode(flags, payload);
                    if (headers.path() == null) {
                        return;
                    }
                    String path = headers.path().toString();
                    received.add(new Received(number, stream, path));
                    Script script = scripts.get(path);
                    if (endScripts.containsKey(path)) {
                        paths.put(stream, path);
                        heads.put(stream, headers);
                        bodies.put(stream, new ByteArrayOutputStream());
                        if (script != null) {
                            // a script on the head too, such as a refusal: what it does comes first
                            script.answer(this, stream, headers);
                        }
                        if ((flags & RawHttp2.END_STREAM) != 0) {
                            requestEnded(stream);
                        }
                    } else if (script == null) {
                        answer(stream, "404", "");
                    } else {
                        script.answer(this, stream, headers);
                    }
                }
                case RawHttp2.DATA -> {
                    ByteArrayOutputStream body = bodies.get(stream);
                    if (body != null) {
                        body.writeBytes(payload);
                        if ((flags & RawHttp2.END_STREAM) != 0) {
                            requestEnded(stream);
                        }
                    }
                    if (payload.length == 0) {
                        return;
                    }
                    if (starved.contains(stream)) {
                        starvedBytes.addAndGet(payload.length);
                        return;
                    }
                    byte[] increment = int32(payload.length);
                    frame(RawHttp2.WINDOW_UPDATE, 0, 0, increment);
                    frame(RawHttp2.WINDOW_UPDATE, 0, stream, increment);
                }
                default -> {
                    // RST_STREAM, WINDOW_UPDATE, GOAWAY from the proxy need no answer here
                }
            }
        }

        private void requestEnded(int stream) throws IOException, InterruptedException {
            endScripts.get(paths.remove(stream)).answer(this, stream, heads.remove(stream));
        }

        /** The request body received on {@code stream}, for scripts registered with {@link #onEnd}. */
        byte[] body(int stream) {
            ByteArrayOutputStream body = bodies.get(stream);
            return body == null ? new byte[0] : body.toByteArray();
        }

        /** The field block of a HEADERS frame in one piece (the proxy's request heads are small). */
        private Http2Headers decode(int flags, byte[] payload) throws Http2Exception {
            int start = 0;
            int end = payload.length;
            if ((flags & PADDED) != 0) {
                end -= payload[0] & 0xff;
                start++;
            }
            if ((flags & PRIORITY) != 0) {
                start += 5;
            }
            ByteBuf block = Unpooled.wrappedBuffer(payload, start, end - start);
            try {
                return decoder.decodeHeaders(0, block);
            } finally {
                block.release();
            }
        }

        /** A response head with its length and a body, ending the stream. */
        void answer(int stream, String status, String body) throws IOException {
            headers(stream, response(status).setInt("content-length", body.length()), body.isEmpty());
            if (!body.isEmpty()) {
                data(stream, body, true);
            }
        }

        /** A HEADERS frame, and CONTINUATION frames for what does not fit the default 16 KiB frame size. */
        synchronized void headers(int stream, Http2Headers headers, boolean endStream) throws IOException {
            byte[] block = encode(headers);
            int end = endStream ? RawHttp2.END_STREAM : 0;
            int type = RawHttp2.HEADERS;
            int at = 0;
            do {
                int size = Math.min(MAX_FRAME_SIZE, block.length - at);
                boolean last = at + size == block.length;
                frame(type, end | (last ? RawHttp2.END_HEADERS : 0), stream, Arrays.copyOfRange(block, at, at + size));
                type = RawHttp2.CONTINUATION;
                end = 0;
                at += size;
            } while (at < block.length);
        }

        void data(int stream, String text, boolean endStream) throws IOException {
            frame(RawHttp2.DATA, endStream ? RawHttp2.END_STREAM : 0, stream, text.getBytes(StandardCharsets.US_ASCII));
        }

        /** {@code bytes} as DATA frames of at most the default frame size; the caller keeps within the stream's window. */
        void data(int stream, byte[] bytes, boolean endStream) throws IOException {
            int at = 0;
            do {
                int size = Math.min(MAX_FRAME_SIZE, bytes.length - at);
                boolean last = at + size == bytes.length;
                frame(RawHttp2.DATA, endStream && last ? RawHttp2.END_STREAM : 0, stream,
                        Arrays.copyOfRange(bytes, at, at + size));
                at += size;
            } while (at < bytes.length);
        }

        void reset(int stream, int errorCode) throws IOException {
            // the proxy sends no more of a reset stream's body
            paths.remove(stream);
            bodies.remove(stream);
            frame(RawHttp2.RST_STREAM, 0, stream, int32(errorCode));
        }

        void goAway(int lastStreamId, int errorCode) throws IOException {
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            payload.writeBytes(int32(lastStreamId));
            payload.writeBytes(int32(errorCode));
            frame(RawHttp2.GOAWAY, 0, 0, payload.toByteArray());
        }

        /** A SETTINGS frame that changes SETTINGS_MAX_CONCURRENT_STREAMS mid-connection. */
        void maxConcurrentStreams(int streams) throws IOException {
            byte[] settings = new byte[6];
            settings[1] = SETTINGS_MAX_CONCURRENT_STREAMS;
            System.arraycopy(int32(streams), 0, settings, 2, 4);
            frame(RawHttp2.SETTINGS, 0, 0, settings);
        }

        void ping(long payload) throws IOException {
            frame(RawHttp2.PING, 0, 0, ByteBuffer.allocate(8).putLong(payload).array());
        }

        /** Closes the TCP connection, as a server process that exits does. */
        synchronized void closeConnection() throws IOException {
            out.flush();
            socket.close();
        }

        /** Promises a pushed response on {@code promised}, as an answer to {@code stream}. */
        synchronized void pushPromise(int stream, int promised, Http2Headers headers) throws IOException {
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            payload.writeBytes(int32(promised));
            payload.writeBytes(encode(headers));
            frame(PUSH_PROMISE, RawHttp2.END_HEADERS, stream, payload.toByteArray());
        }

        /** DATA on {@code stream} is kept and given no flow-control credit back. */
        void starve(int stream) {
            starved.add(stream);
        }

        synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
            out.write(RawHttp2.frame(type, flags, stream, payload));
            out.flush();
        }

        /** Under the peer's lock, with the write of the frame that carries it: HPACK state follows frame order. */
        private byte[] encode(Http2Headers headers) throws IOException {
            ByteBuf block = Unpooled.buffer();
            try {
                encoder.encodeHeaders(0, headers, block);
                return ByteBufUtil.getBytes(block);
            } catch (Http2Exception e) {
                throw new IOException(e);
            } finally {
                block.release();
            }
        }
    }

    static Http2Headers response(String status) {
        return new io.netty.handler.codec.http2.DefaultHttp2Headers().status(status);
    }

    private static byte[] int32(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
