package io.sluice.staticfiles;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.FutureListener;
import io.sluice.http.AcceptedCoding;
import io.sluice.http.ContentCoding;
import io.sluice.http.ErrorResponses;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeListener;
import io.sluice.http.HeadroomResponse;
import io.sluice.http.RequestPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One request to a static location, on its event loop: path checks, metadata look-up (a cache hit
 * continues at once, a miss continues when the blocking pool answers), then the answer — a file (whole,
 * one range or several), 304/412/416, a redirect to the directory form, an index file, a listing, or the
 * fallback file. It is the exchange's listener, so a client that goes away while a look-up or a chunked
 * send is under way stops it and closes the files it holds.
 */
final class FileRequest implements ExchangeListener {
    private static final Logger log = LoggerFactory.getLogger(FileRequest.class);
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    private static final AsciiString GET_HEAD = AsciiString.cached("GET, HEAD");
    private static final AsciiString BYTES = AsciiString.cached("bytes");
    private static final AsciiString ACCEPT_ENCODING = AsciiString.cached("Accept-Encoding");
    private static final AsciiString HTML = AsciiString.cached("text/html; charset=utf-8");
    /** Bodies up to this size are read and written with the head in one go. */
    static final int SMALL_BODY = 16 * 1024;

    private final StaticFileHandler handler;
    private final Exchange exchange;
    private String key;
    private boolean slash;
    private boolean servingFallback;
    private boolean retried;
    private boolean aborted;
    private ChunkedFileSender sender;

    FileRequest(StaticFileHandler handler, Exchange exchange) {
        this.handler = handler;
        this.exchange = exchange;
    }

    void methodNotAllowed() {
        FullHttpResponse response = ErrorResponses.of(exchange.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, false);
        response.headers().set(HttpHeaderNames.ALLOW, GET_HEAD);
        exchange.writeAndFlush(response);
    }

    void start() {
        if (StaticPaths.hasEncodedSeparator(RequestPath.rawPath(exchange.request().uri()))) {
            badRequest("encoded slash or backslash in path");
            return;
        }
        String path = exchange.path();
        if (path.indexOf('\\') >= 0) {
            badRequest("backslash in path");
            return;
        }
        key = StaticPaths.relative(path, handler.location.match());
        slash = path.endsWith("/");
        if (!handler.config.dotfilesAllowed() && StaticPaths.hidden(key)) {
            log.debug("{}: hidden path refused (dotfiles = deny)", path);
            error(HttpResponseStatus.NOT_FOUND);
            return;
        }
        lookup();
    }

    @Override
    public void onWritabilityChanged(boolean writable) {
        if (writable && sender != null) {
            sender.pump();
        }
    }

    @Override
    public void onAbort() {
        aborted = true;
        if (sender != null) {
            sender.abort();
        }
    }

    private void lookup() {
        FileEntry entry = handler.cache.cached(key);
        if (entry != null) {
            onEntry(entry);
            return;
        }
        handler.cache.load(key, exchange.channel().eventLoop()).addListener((FutureListener<FileEntry>) future -> {
            if (!future.isSuccess()) {
                if (!aborted) {
                    poolFailed(future.cause());
                }
                return;
            }
            FileEntry loaded = future.getNow();
            try {
                if (!aborted) {
                    onEntry(loaded);
                }
            } finally {
                loaded.release();
            }
        });
    }

    private void onEntry(FileEntry entry) {
        if (servingFallback) {
            if (entry.kind() == FileEntry.Kind.FILE) {
                serve(entry);
            } else {
                log.warn("{}: fallback {} is not a file", handler.location.configPath(), handler.config.fallback());
                error(HttpResponseStatus.NOT_FOUND);
            }
            return;
        }
        switch (entry.kind()) {
            case FILE -> {
                if (slash) {
                    notFound();
                } else {
                    serve(entry);
                }
            }
            case DIRECTORY -> directory(entry);
            default -> notFound();
        }
    }

    private void notFound() {
        if (handler.config.fallback() == null || servingFallback) {
            error(HttpResponseStatus.NOT_FOUND);
            return;
        }
        servingFallback = true;
        key = StaticPaths.trimSlashes(handler.config.fallback());
        lookup();
    }

    private void directory(FileEntry entry) {
        if (!slash) {
            String query = RequestPath.rawQuery(exchange.request().uri());
            FullHttpResponse response = ErrorResponses.of(exchange.alloc(), HttpResponseStatus.MOVED_PERMANENTLY, false);
            response.headers().set(HttpHeaderNames.LOCATION,
                    StaticPaths.encodePath(exchange.path()) + "/" + (query == null ? "" : "?" + query));
            exchange.writeAndFlush(response);
        } else if (entry.index() != null) {
            serve(entry.index());
        } else if (handler.config.autoindex()) {
            list(entry.path());
        } else {
            error(HttpResponseStatus.FORBIDDEN);
        }
    }

    private void list(Path directory) {
        String urlPath = exchange.path();
        boolean parentLink = !key.isEmpty();
        boolean dotfiles = handler.config.dotfilesAllowed();
        handler.blockingPool.submit(() -> DirectoryListing.render(directory, urlPath, parentLink, dotfiles),
                exchange.channel().eventLoop()).addListener((FutureListener<byte[]>) future -> {
                    if (aborted) {
                        return;
                    }
                    if (!future.isSuccess()) {
                        listingFailed(future.cause());
                        return;
                    }
                    byte[] page = future.getNow();
                    if (!handler.listings.tryReserve(page.length)) {
                        log.warn("{}: listing pages not yet read by their clients fill the budget, answering 503",
                                handler.location.configPath());
                        error(HttpResponseStatus.SERVICE_UNAVAILABLE);
                        return;
                    }
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            new ListingPage(page, handler.listings));
                    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HTML)
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, page.length);
                    exchange.writeAndFlush(response);
                });
    }

    private void listingFailed(Throwable cause) {
        if (cause instanceof NoSuchFileException || cause instanceof NotDirectoryException) {
            // removed or replaced since its entry was made: drop the entry so the next request sees what is there
            handler.cache.invalidate(key);
            error(HttpResponseStatus.NOT_FOUND);
        } else {
            poolFailed(cause);
        }
    }

    private void serve(FileEntry entry) {
        HttpHeaders in = exchange.request().headers();
        FileEntry file = entry;
        AsciiString encoding = null;
        boolean vary = handler.config.precompressed() && entry.hasVariants();
        if (vary) {
            EnumSet<ContentCoding> stored = EnumSet.noneOf(ContentCoding.class);
            if (entry.brotli() != null) {
                stored.add(ContentCoding.BROTLI);
            }
            if (entry.gzip() != null) {
                stored.add(ContentCoding.GZIP);
            }
            ContentCoding chosen = AcceptedCoding.choose(in.get(HttpHeaderNames.ACCEPT_ENCODING), stored);
            if (chosen != null) {
                file = chosen == ContentCoding.BROTLI ? entry.brotli() : entry.gzip();
                encoding = chosen.token();
            }
        }
        switch (Preconditions.evaluate(in, file)) {
            case PRECONDITION_FAILED -> {
                error(HttpResponseStatus.PRECONDITION_FAILED);
                return;
            }
            case NOT_MODIFIED -> {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER, HEADERS, HEADERS);
                validators(response.headers(), file, vary);
                exchange.writeAndFlush(response);
                return;
            }
            default -> {
            }
        }
        boolean head = HttpMethod.HEAD.equals(exchange.request().method());
        List<ByteRanges.Range> ranges = null;
        String range = head ? null : in.get(HttpHeaderNames.RANGE);
        if (range != null && Preconditions.rangeStillValid(in.get(HttpHeaderNames.IF_RANGE), file)) {
            ranges = ByteRanges.parse(range, file.size());
            if (ranges != null && ranges.isEmpty()) {
                FullHttpResponse response = ErrorResponses.of(exchange.alloc(),
                        HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, false);
                response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + file.size());
                exchange.writeAndFlush(response);
                return;
            }
        }
        HttpResponseStatus status = ranges == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT;
        // every field below goes into a new container once: add, without looking for an earlier value
        HttpHeaders out = HEADERS.newHeaders();
        validators(out, file, vary);
        out.add(HttpHeaderNames.ACCEPT_RANGES, BYTES);
        if (encoding != null) {
            out.add(HttpHeaderNames.CONTENT_ENCODING, encoding);
        }
        if (ranges == null) {
            out.add(HttpHeaderNames.CONTENT_TYPE, entry.contentType());
            out.add(HttpHeaderNames.CONTENT_LENGTH, file.contentLength());
            if (head || file.size() == 0) {
                exchange.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, out));
                exchange.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                return;
            }
            sendRange(file, status, out, 0, file.size());
        } else if (ranges.size() == 1) {
            ByteRanges.Range only = ranges.get(0);
            out.add(HttpHeaderNames.CONTENT_TYPE, entry.contentType());
            out.add(HttpHeaderNames.CONTENT_RANGE, "bytes " + only.first() + "-" + only.last() + "/" + file.size());
            out.add(HttpHeaderNames.CONTENT_LENGTH, Long.toString(only.length()));
            sendRange(file, status, out, only.first(), only.length());
        } else {
            multipart(file, entry.contentType(), status, out, ranges);
        }
    }

    /** multipart/byteranges (RFC 9110 §14.6): each range behind a boundary line and its own Content-Range. */
    private void multipart(FileEntry file, AsciiString contentType, HttpResponseStatus status, HttpHeaders out,
                           List<ByteRanges.Range> ranges) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String boundary = Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
        OpenFile open = retainFresh(file);
        if (open == null) {
            return;
        }
        List<BodyPart> parts = new ArrayList<>(ranges.size());
        long total = 0;
        for (int i = 0; i < ranges.size(); i++) {
            ByteRanges.Range range = ranges.get(i);
            byte[] head = ((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\nContent-Type: " + contentType
                    + "\r\nContent-Range: bytes " + range.first() + "-" + range.last() + "/" + file.size() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            if (i > 0) {
                open.retain();
            }
            parts.add(new BodyPart(head, open, range.first(), range.length()));
            total += head.length + range.length();
        }
        byte[] trailer = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        total += trailer.length;
        out.add(HttpHeaderNames.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary);
        out.add(HttpHeaderNames.CONTENT_LENGTH, Long.toString(total));
        send(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, out), parts, trailer);
    }

    /**
     * One stretch of the file. A small one is copied from memory or read at once and goes out with the head
     * in a single write (one packet instead of a head packet and a sendfile packet); a larger one goes by
     * sendfile, as one message with its head when nothing between here and the socket can change the body,
     * or by chunks.
     */
    private void sendRange(FileEntry file, HttpResponseStatus status, HttpHeaders out, long position, long length) {
        byte[] content = file.file().content();
        if (content != null) {
            // the copy matches the entry's size and validators, whatever happened to the file since
            ByteBuf body = HeadroomResponse.body(exchange.alloc(), (int) length);
            body.writeBytes(content, (int) position, (int) length);
            exchange.writeAndFlush(new HeadroomResponse(status, body, out));
            return;
        }
        OpenFile open = retainFresh(file);
        if (open == null) {
            return;
        }
        if (length <= SMALL_BODY) {
            ByteBuf body = readSmall(open, position, (int) length);
            open.release();
            if (body == null) {
                stale(file);
                return;
            }
            exchange.writeAndFlush(new HeadroomResponse(status, body, out));
            return;
        }
        if (!exchange.mayRewriteBody() && zeroCopy()) {
            exchange.writeAndFlush(HeadroomResponse.withFile(exchange.alloc(), status, out,
                    new SharedFileRegion(open, position, length)));
            return;
        }
        send(new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, out), List.of(new BodyPart(null, open, position, length)), null);
    }

    /**
     * The whole stretch in one buffer with room for the response head in front of it, or {@code null} when
     * the file ended early (it was truncated).
     */
    private ByteBuf readSmall(OpenFile open, long position, int length) {
        ByteBuf body = HeadroomResponse.body(exchange.alloc(), length);
        try {
            while (body.isWritable()) {
                if (body.writeBytes(open.channel(), position + body.readableBytes(), body.writableBytes()) <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            log.debug("{}: read failed: {}", handler.location.configPath(), e.toString());
        }
        if (body.isWritable()) {
            body.release();
            open.markSuspect();
            return null;
        }
        return body;
    }

    private void validators(HttpHeaders out, FileEntry file, boolean vary) {
        out.add(HttpHeaderNames.ETAG, file.etag());
        out.add(HttpHeaderNames.LAST_MODIFIED, file.lastModified());
        if (handler.cacheControl != null) {
            out.add(HttpHeaderNames.CACHE_CONTROL, handler.cacheControl);
        }
        if (vary) {
            out.add(HttpHeaderNames.VARY, ACCEPT_ENCODING);
        }
    }

    /**
     * A reference on the entry's cached descriptor, or {@code null} after starting a fresh look-up: the
     * descriptor may have been closed by an eviction meanwhile, or marked suspect by a send that ended
     * short (a truncated file). A fresh look-up happens once per request.
     */
    private OpenFile retainFresh(FileEntry file) {
        OpenFile open = file.file();
        if (!retried && open.suspect() || !open.tryRetain()) {
            stale(file);
            return null;
        }
        return open;
    }

    private void stale(FileEntry file) {
        handler.cache.invalidate(key);
        if (retried) {
            log.info("{}: {} could not be sent from a fresh look-up", handler.location.configPath(), exchange.path());
            error(HttpResponseStatus.NOT_FOUND);
            return;
        }
        log.debug("{}: stale cache entry for {}", handler.location.configPath(), file.path());
        retried = true;
        lookup();
    }

    private void send(HttpResponse response, List<BodyPart> parts, byte[] trailer) {
        exchange.write(response);
        if (zeroCopy()) {
            for (BodyPart part : parts) {
                if (part.head() != null) {
                    exchange.write(new DefaultHttpContent(Unpooled.wrappedBuffer(part.head())));
                }
                exchange.write(new SharedFileRegion(part.file(), part.position(), part.length()));
            }
            exchange.writeAndFlush(trailer == null ? LastHttpContent.EMPTY_LAST_CONTENT
                    : new DefaultLastHttpContent(Unpooled.wrappedBuffer(trailer)));
        } else {
            sender = new ChunkedFileSender(exchange, parts, trailer);
            sender.pump();
        }
    }

    /**
     * sendfile needs a plain TCP socket: not TLS (SslHandler takes only buffers), not an HTTP/2 stream; and
     * a body the exchange compresses on the way out must come as buffers too. Asked after the head is written,
     * or before it when the exchange cannot compress.
     */
    private boolean zeroCopy() {
        Channel channel = exchange.channel();
        return !exchange.rewritesBody() && !exchange.secure() && !exchange.multiplexed() && channel instanceof SocketChannel
                && channel.pipeline().get(SslHandler.class) == null;
    }

    private void poolFailed(Throwable cause) {
        if (cause instanceof RejectedExecutionException) {
            log.warn("{}: blocking pool full, answering 503", handler.location.configPath());
            error(HttpResponseStatus.SERVICE_UNAVAILABLE);
        } else if (cause instanceof IOException) {
            // a file that is there but could not be opened just now (no descriptors left, an I/O error)
            log.warn("{}: {}: {}, answering 503", handler.location.configPath(), exchange.path(), cause.toString());
            error(HttpResponseStatus.SERVICE_UNAVAILABLE);
        } else {
            log.error("{}: file look-up failed", handler.location.configPath(), cause);
            error(HttpResponseStatus.INTERNAL_SERVER_ERROR);
        }
    }

    private void badRequest(String reason) {
        log.info("{} \"{} {}\" 400: {}", exchange.clientAddress(), exchange.request().method(), exchange.request().uri(), reason);
        error(HttpResponseStatus.BAD_REQUEST);
    }

    private void error(HttpResponseStatus status) {
        exchange.writeAndFlush(ErrorResponses.of(exchange.alloc(), status, false));
    }
}
