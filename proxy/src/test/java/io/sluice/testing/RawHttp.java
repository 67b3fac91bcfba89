package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A raw socket client for malformed and hand-framed requests. {@link #readResponse} reads one response
 * (head plus Content-Length body); {@link #readUntilClosed} reads whatever comes until the server
 * closes, failing the test if it does not close within the timeout.
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttp(int port) throws IOException {
        this(port, 10_000);
    }

    public RawHttp(int port, int readTimeoutMillis) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public RawHttp send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * Sends {@code bytes} from a thread of their own, so that the test can read an answer that comes before
     * they are all sent; a connection the server closes instead of reading the rest ends the sending quietly.
     */
    public RawHttp sendInBackground(byte[] bytes) {
        Thread sender = new Thread(() -> {
            try {
                send(bytes);
            } catch (IOException serverStoppedReading) {
                // the answer is what the test checks
            }
        }, "raw-http-sender");
        sender.setDaemon(true);
        sender.start();
        return this;
    }

    /** One response: status line, headers, and a body of Content-Length bytes (none if absent). */
    public Response readResponse() throws IOException {
        String head = readHead();
        if (head == null) {
            return null;
        }
        Response response = Response.parseHead(head);
        String length = response.header("content-length");
        byte[] body = new byte[0];
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.trim()));
        }
        return response.withBody(body);
    }

    /** One response whose body is chunked: the body is the chunks' data joined, trailers are skipped. */
    public Response readChunkedResponse() throws IOException {
        return readChunkedBody(Response.parseHead(readHead()));
    }

    /** One response, its body framed by Content-Length or chunked, whichever its head says. */
    public Response readFramedResponse() throws IOException {
        Response response = Response.parseHead(readHead());
        String coding = response.header("transfer-encoding");
        if (coding != null && coding.equalsIgnoreCase("chunked")) {
            return readChunkedBody(response);
        }
        String length = response.header("content-length");
        return response.withBody(length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length.trim())));
    }

    private Response readChunkedBody(Response response) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int size;
        while ((size = Integer.parseInt(readLine().split(";", 2)[0].trim(), 16)) > 0) {
            body.write(in.readNBytes(size));
            readLine();
        }
        String trailer;
        do {
            trailer = readLine();
        } while (!trailer.isEmpty());
        return response.withBody(body.toByteArray());
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new java.io.EOFException("connection closed inside a chunked body");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** Reads until the server closes the connection; returns everything read. */
    public String readUntilClosed() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server did not close the connection; got: " + all.toString(StandardCharsets.ISO_8859_1));
        } catch (java.net.SocketException e) {
            // a reset also counts as closed
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the server has closed the connection (read returns end of stream or reset). */
    public boolean isClosedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A parsed response. */
    public record Response(int status, String head, byte[] body) {
        static Response parseHead(String head) {
            String[] parts = head.split(" ", 3);
            return new Response(Integer.parseInt(parts[1].trim()), head, new byte[0]);
        }

        Response withBody(byte[] newBody) {
            return new Response(status, head, newBody);
        }

        /** The first value of a header, case-insensitive, or {@code null}. */
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }
}
