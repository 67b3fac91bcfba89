package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Http1RequestDecoderTest {
    private static final int MAX_LINE = 64;
    private static final int MAX_HEADERS = 128;
    private static final int MAX_CHUNK = 16;

    private final EmbeddedChannel channel = new EmbeddedChannel(new Http1RequestDecoder(MAX_LINE, MAX_HEADERS, MAX_CHUNK));
    private final List<Object> read = new ArrayList<>();

    @AfterEach
    void release() {
        read.forEach(ReferenceCountUtil::release);
        assertFalse(channel.finishAndReleaseAll(), "nothing left unread");
    }

    @Test
    void requestWithoutBodyIsOneFullRequestWithAnEmptyBody() {
        List<Object> messages = decode("GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nX-Custom:  spaced value \t\r\n"
                + "accept-ENCODING: gzip\r\nX-Custom: second\r\n\r\n");
        assertEquals(1, messages.size());
        FullHttpRequest request = assertInstanceOf(FullHttpRequest.class, messages.get(0));
        assertFalse(request.content().isReadable());
        assertTrue(request.trailingHeaders().isEmpty());
        assertTrue(request.decoderResult().isSuccess());
        assertSame(HttpMethod.GET, request.method());
        assertSame(HttpVersion.HTTP_1_1, request.protocolVersion());
        assertEquals("/a?b=c", request.uri());
        assertEquals("example.test", request.headers().get("host"));
        assertEquals(List.of("spaced value", "second"), request.headers().getAll("x-custom"));
        assertEquals("gzip", request.headers().get(HttpHeaderNames.ACCEPT_ENCODING));
    }

    @Test
    void zeroContentLengthIsABodylessRequestToo() {
        List<Object> messages = decode("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(2, messages.size());
        assertFalse(assertInstanceOf(FullHttpRequest.class, messages.get(0)).content().isReadable());
        assertEquals("/a", assertInstanceOf(FullHttpRequest.class, messages.get(0)).uri());
        assertEquals("/b", assertInstanceOf(FullHttpRequest.class, messages.get(1)).uri());
    }

    @Test
    void aRequestWithABodyIsAHeadOnlyThenItsContents() {
        List<Object> messages = decode("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab");
        assertFalse(messages.get(0) instanceof LastHttpContent, "the head carries no body");
        assertInstanceOf(LastHttpContent.class, messages.get(messages.size() - 1));
        assertEquals("ab", body(messages));
    }

    @Test
    void wellKnownNamesAreSharedConstantsAndOthersKeepTheirCase() {
        HttpRequest request = (HttpRequest) decode("GET / HTTP/1.1\r\nCONTENT-length: 0\r\nX-Mixed-Case: v\r\n\r\n").get(0);
        List<CharSequence> names = new ArrayList<>();
        request.headers().iteratorCharSequence().forEachRemaining(header -> names.add(header.getKey()));
        assertSame(HttpHeaderNames.CONTENT_LENGTH, names.get(0));
        assertEquals("X-Mixed-Case", names.get(1).toString());
    }

    @Test
    void decodedRequestsAreMarkedAsFieldsCheckedAndTheValidatorStillJudgesTheRest() {
        HttpRequest decoded = (HttpRequest) decode("GET / HTTP/1.1\r\nHost: a\r\nX-Ok: v\r\n\r\n").get(0);
        assertSame(RequestValidator.FIELDS_CHECKED, decoded.decoderResult());
        assertTrue(decoded.decoderResult().isSuccess());
        assertNull(RequestValidator.check(decoded));
        HttpRequest noHost = (HttpRequest) decode("GET / HTTP/1.1\r\nX-Ok: v\r\n\r\n").get(0);
        assertEquals("HTTP/1.1 request without Host", RequestValidator.check(noHost).reason());
    }

    @Test
    void aSecondHostIsRefusedByTheDecoderWhateverItsSpelling() {
        HttpRequest twice = (HttpRequest) decode("GET / HTTP/1.1\r\nHost: a\r\nX-Ok: v\r\nHOST: b\r\n\r\n").get(0);
        assertTrue(twice.decoderResult().isFailure());
        Rejection rejection = RequestValidator.check(twice);
        assertEquals(400, rejection.status().code());
        assertEquals("malformed request: more than one Host header", rejection.reason());
    }

    @Test
    void aSecondHostFromElsewhereIsRefusedByTheValidator() {
        HttpRequest twice = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        twice.headers().add(HttpHeaderNames.HOST, "a").add(HttpHeaderNames.HOST, "b");
        assertEquals("more than one Host header", RequestValidator.check(twice).reason());
        ReferenceCountUtil.release(twice);
    }

    @Test
    void repeatedFieldValuesAreOneStringAndDifferentOnesAreNot() {
        String head = "GET / HTTP/1.1\r\nHost: example.test\r\nX-Same: v\r\nCookie: id=1\r\n\r\n";
        HttpRequest first = (HttpRequest) decode(head).get(0);
        HttpRequest second = (HttpRequest) decode(head.replace("X-Same: v", "X-Same: w")).get(0);
        assertSame(first.headers().get(HttpHeaderNames.HOST), second.headers().get(HttpHeaderNames.HOST));
        assertEquals("v", first.headers().get("x-same"));
        assertEquals("w", second.headers().get("x-same"));
        // credentials are never kept for the next message
        assertEquals(first.headers().get(HttpHeaderNames.COOKIE), second.headers().get(HttpHeaderNames.COOKIE));
        assertNotSame(first.headers().get(HttpHeaderNames.COOKIE), second.headers().get(HttpHeaderNames.COOKIE));
    }

    @Test
    void aRepeatedTargetIsOneStringUnlessItHasAQuery() {
        HttpRequest first = (HttpRequest) decode("GET /same/path HTTP/1.1\r\nHost: a\r\n\r\n").get(0);
        HttpRequest second = (HttpRequest) decode("HEAD /same/path HTTP/1.1\r\nHost: a\r\n\r\n").get(0);
        HttpRequest other = (HttpRequest) decode("GET /same/patH HTTP/1.1\r\nHost: a\r\n\r\n").get(0);
        assertSame(first.uri(), second.uri());
        assertEquals("/same/patH", other.uri());
        HttpRequest query = (HttpRequest) decode("GET /p?token=1 HTTP/1.1\r\nHost: a\r\n\r\n").get(0);
        HttpRequest queryAgain = (HttpRequest) decode("GET /p?token=1 HTTP/1.1\r\nHost: a\r\n\r\n").get(0);
        assertEquals(query.uri(), queryAgain.uri());
        assertNotSame(query.uri(), queryAgain.uri());
    }

    @Test
    void requestsFromElsewhereHaveTheirFieldsChecked() {
        // as an HTTP/2 stream's request arrives: its header map does not validate values either
        HttpHeadersFactory unvalidated = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
        HttpRequest control = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/", Unpooled.EMPTY_BUFFER,
                unvalidated, unvalidated);
        control.headers().add(HttpHeaderNames.HOST, "a").add("x-bad", "a\u0001b");
        assertEquals("control character in header x-bad", RequestValidator.check(control).reason());
        HttpRequest framing = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        framing.headers().add(HttpHeaderNames.HOST, "a").add(HttpHeaderNames.CONTENT_LENGTH, "05");
        assertEquals("invalid Content-Length \"05\"", RequestValidator.check(framing).reason());
        ReferenceCountUtil.release(control);
        ReferenceCountUtil.release(framing);
    }

    @Test
    void uncommonMethodsAndLaterVersionsAreDecodedForTheValidatorToJudge() {
        HttpRequest request = (HttpRequest) decode("PROPFIND / HTTP/1.2\r\nHost: a\r\n\r\n").get(0);
        assertTrue(request.decoderResult().isSuccess());
        assertEquals("PROPFIND", request.method().name());
        assertEquals(2, request.protocolVersion().minorVersion());
        assertEquals(505, RequestValidator.check(request).status().code());
    }

    @Test
    void headArrivingOneByteAtATimeDecodesTheSame() {
        String head = "\r\nPOST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.0\r\n\r\n";
        for (byte b : head.getBytes(StandardCharsets.US_ASCII)) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        List<Object> messages = drain();
        HttpRequest post = assertInstanceOf(HttpRequest.class, messages.get(0));
        assertEquals("/up", post.uri());
        assertEquals("hello", body(messages));
        HttpRequest next = messages.stream().skip(1).filter(HttpRequest.class::isInstance)
                .map(HttpRequest.class::cast).findFirst().orElseThrow();
        assertEquals("/next", next.uri());
        assertSame(HttpVersion.HTTP_1_0, next.protocolVersion());
        assertInstanceOf(FullHttpRequest.class, next);
        assertSame(next, messages.get(messages.size() - 1));
    }

    @Test
    void fixedLengthBodyStreamsInPiecesOfAtMostTheChunkSize() {
        String body = "0123456789".repeat(5);
        List<Object> messages = decode("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n" + body);
        for (Object message : messages.subList(1, messages.size())) {
            assertTrue(((HttpContent) message).content().readableBytes() <= MAX_CHUNK);
        }
        assertInstanceOf(LastHttpContent.class, messages.get(messages.size() - 1));
        assertEquals(body, body(messages));
    }

    @Test
    void bodyIsHandedOnAsItArrivesNotHeldWhole() {
        List<Object> first = decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
        assertEquals(2, first.size());
        assertFalse(first.get(1) instanceof LastHttpContent);
        List<Object> rest = decode("defghij");
        assertInstanceOf(LastHttpContent.class, rest.get(rest.size() - 1));
        assertEquals("defghij", body(rest));
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() {
        List<Object> messages = decode("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "3;name=value ; quoted=\"a \\\" b\"\r\nabc\r\n"
                + "14\r\n" + "x".repeat(20) + "\r\n"
                + "0\r\nX-Checksum: 42\r\nContent-Length: 9\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals("abc" + "x".repeat(20), body(messages));
        int lastIndex = 0;
        while (!(messages.get(lastIndex) instanceof LastHttpContent)) {
            lastIndex++;
        }
        LastHttpContent last = (LastHttpContent) messages.get(lastIndex);
        assertEquals("42", last.trailingHeaders().get("x-checksum"));
        assertFalse(last.trailingHeaders().contains(HttpHeaderNames.CONTENT_LENGTH), "framing fields are not trailers");
        HttpRequest after = (HttpRequest) messages.get(lastIndex + 1);
        assertEquals("/after", after.uri());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
            "GET / HTTP/1.1\r\n: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost a\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\u007fb\r\n\r\n",
            "GET / HTTP/1.1\r\nX: a\u000bb\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
            "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
            "GET / http/1.1\r\nHost: a\r\n\r\n",
            "GET / FOO/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1\r\nHost: a\r\n\r\n",
            "GET /\r\n\r\n",
            "GARBAGE\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nContent-Length: 03\r\n\r\nabc",
            "POST / HTTP/1.1\r\nContent-Length: 3,3\r\n\r\nabc",
            "POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\nabc",
            "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    })
    void malformedHeadFailsTheRequestAndEverythingAfterIsIgnored(String head) {
        List<Object> messages = decode(head + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(1, messages.size(), () -> "for " + printable(head) + ": " + messages);
        HttpRequest request = assertInstanceOf(HttpRequest.class, messages.get(0));
        assertTrue(request.decoderResult().isFailure(), () -> "for " + printable(head));
        assertFalse(request.uri().contains("smuggled"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz\r\n", "FFFFFFFFFFFFFFFFFF\r\nabc\r\n", "8000000000000000\r\n", "3 junk\r\nabc\r\n",
            "3 \r\nabc\r\n", "3;\r\nabc\r\n", "3;a=\r\nabc\r\n", "3;ext=\"unterminated\r\nabc\r\n", "3\r\nabcXX0\r\n\r\n",
            "3\nabc\r\n", "3\r\nabc\n0\r\n\r\n", "0\r\nX : y\r\n\r\n", "0\r\n folded\r\n\r\n"})
    void malformedChunkFailsTheBodyAndEverythingAfterIsIgnored(String chunks) {
        List<Object> messages = decode("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(((HttpRequest) messages.get(0)).decoderResult().isSuccess());
        Object end = messages.get(messages.size() - 1);
        LastHttpContent last = assertInstanceOf(LastHttpContent.class, end, () -> "for " + printable(chunks));
        assertTrue(last.decoderResult().isFailure(), () -> "for " + printable(chunks));
        assertEquals(1, messages.stream().filter(HttpRequest.class::isInstance).count());
    }

    @Test
    void chunkSizeLineHasABound() {
        List<Object> messages = decode("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;x="
                + "y".repeat(Http1RequestDecoder.MAX_CHUNK_LINE));
        assertTrue(((LastHttpContent) messages.get(1)).decoderResult().isFailure());
    }

    @Test
    void requestLineAtTheLimitPassesAndOneByteMoreIs414EvenBeforeItEnds() {
        String atLimit = "GET /" + "a".repeat(MAX_LINE - "GET / HTTP/1.1".length()) + " HTTP/1.1";
        assertEquals(MAX_LINE, atLimit.length());
        assertTrue(((HttpRequest) decode(atLimit + "\r\n\r\n").get(0)).decoderResult().isSuccess());

        EmbeddedChannel other = new EmbeddedChannel(new Http1RequestDecoder(MAX_LINE, MAX_HEADERS, MAX_CHUNK));
        other.writeInbound(Unpooled.copiedBuffer("GET /" + "a".repeat(MAX_LINE), StandardCharsets.US_ASCII));
        HttpRequest failed = other.readInbound();
        assertInstanceOf(TooLongHttpLineException.class, failed.decoderResult().cause());
        ReferenceCountUtil.release(failed);
        assertFalse(other.finishAndReleaseAll());
    }

    @Test
    void headerSectionOverTheLimitIs431() {
        String fields = "X: " + "v".repeat(MAX_HEADERS - 3);
        assertTrue(((HttpRequest) decode("GET / HTTP/1.1\r\n" + fields + "\r\n\r\n").get(0)).decoderResult().isSuccess());
        HttpRequest failed = (HttpRequest) decode("GET / HTTP/1.1\r\n" + fields + "\r\nY: z\r\n\r\n").get(0);
        assertInstanceOf(TooLongHttpHeaderException.class, failed.decoderResult().cause());
    }

    @Test
    void headerFieldGrowingOverTheLimitFailsBeforeItEnds() {
        List<Object> messages = decode("GET / HTTP/1.1\r\nX-Big: " + "b".repeat(MAX_HEADERS));
        assertInstanceOf(TooLongHttpHeaderException.class, ((HttpRequest) messages.get(0)).decoderResult().cause());
    }

    @Test
    void trailersHaveTheHeaderLimit() {
        List<Object> messages = decode("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
                + "t".repeat(MAX_HEADERS) + "\r\n\r\n");
        LastHttpContent last = (LastHttpContent) messages.get(1);
        assertInstanceOf(TooLongHttpHeaderException.class, last.decoderResult().cause());
    }

    @Test
    void connectionClosedInTheBodyFailsTheBody() {
        decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
        channel.finish();
        List<Object> messages = drain();
        LastHttpContent last = assertInstanceOf(LastHttpContent.class, messages.get(0));
        assertInstanceOf(PrematureChannelClosureException.class, last.decoderResult().cause());
    }

    @Test
    void connectionClosedBetweenRequestsIsQuiet() {
        decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        channel.finish();
        assertTrue(drain().isEmpty());
    }

    private List<Object> decode(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        return drain();
    }

    private List<Object> drain() {
        List<Object> messages = new ArrayList<>();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            assertInstanceOf(HttpObject.class, msg);
            messages.add(msg);
            read.add(msg);
        }
        return messages;
    }

    private static String body(List<Object> messages) {
        StringBuilder body = new StringBuilder();
        for (Object message : messages) {
            if (message instanceof HttpContent content) {
                ByteBuf bytes = content.content();
                body.append(bytes.toString(StandardCharsets.ISO_8859_1));
            }
        }
        return body.toString();
    }

    private static String printable(String value) {
        return value.replace("\r", "\\r").replace("\n", "\\n");
    }
}
