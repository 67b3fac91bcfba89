package io.sluice.staticfiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Random;

/**
 * Test helpers for file bodies: deterministic file content, and a keep-alive socket client that streams a
 * response body into SHA-256 so that files larger than the heap can be checked byte for byte.
 */
final class Downloads {
    private Downloads() {
    }

    static Path writeRandom(Path file, long size, long seed) throws IOException {
        Random random = new Random(seed);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                random.nextBytes(block);
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
            }
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The head of a response and the digest of the body that followed it. */
    record Hashed(String head, long bodyLength, String sha256) {
        int status() {
            return Integer.parseInt(head.split(" ", 3)[1]);
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** One connection; {@link #get} may be called repeatedly to prove keep-alive. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Client(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        Hashed get(String path) throws IOException {
            return send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").read();
        }

        Client send(String request) throws IOException {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return this;
        }

        /** One response with a Content-Length body, hashed as it streams in. */
        Hashed read() throws IOException {
            String head = readHead();
            String length = null;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = line.substring(15).trim();
                }
            }
            if (length == null) {
                throw new IOException("no Content-Length in " + head);
            }
            long total = Long.parseLong(length);
            MessageDigest digest = sha256();
            byte[] buffer = new byte[1 << 16];
            long left = total;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("connection closed with " + left + " body bytes missing");
                }
                digest.update(buffer, 0, n);
                left -= n;
            }
            return new Hashed(head, total, HexFormat.of().formatHex(digest.digest()));
        }

        /** The head of a response that has no body (HEAD, 304). */
        String readHead() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed before a response head");
                }
                head.write(b);
                state = b == '\r' ? (state == 2 ? 3 : 1) : b == '\n' && (state == 1 || state == 3) ? state + 1 : 0;
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
