package io.sluice.http;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Http2FieldsTest {
    @Test
    void aRequestCarriesItsFieldsWithAuthorityAsHostAndNoTranslationFields() throws Http2Exception {
        Http2Headers fields = get("/p?q=1").add("accept", "*/*").add("x-http2-scheme", "http");

        FullHttpRequest request = (FullHttpRequest) Http2Fields.request(3, fields, true);

        assertEquals(HttpMethod.GET, request.method());
        assertEquals("/p?q=1", request.uri());
        assertEquals(HttpVersion.HTTP_1_1, request.protocolVersion());
        assertEquals(List.of(Map.entry("host", "example.com"), Map.entry("accept", "*/*")), entries(request));
        assertEquals(0, request.content().readableBytes());
    }

    @Test
    void aRequestWhoseBodyFollowsIsAHeadOnly() throws Http2Exception {
        HttpRequest head = Http2Fields.request(3, get("/upload").method("POST"), false);

        assertFalse(head instanceof LastHttpContent);
        assertEquals(HttpMethod.POST, head.method());
    }

    @Test
    void cookieCrumbsAreJoinedIntoOneField() throws Http2Exception {
        Http2Headers fields = get("/").add("cookie", "a=1").add("accept", "*/*").add("cookie", "b=2");

        HttpRequest request = Http2Fields.request(3, fields, true);

        assertEquals(List.of("a=1; b=2"), request.headers().getAll(HttpHeaderNames.COOKIE));
    }

    @Test
    void aHostThatRepeatsTheAuthorityIsOneHostField() throws Http2Exception {
        HttpRequest request = Http2Fields.request(3, get("/").add("host", "EXAMPLE.com"), true);

        assertEquals(List.of("example.com"), request.headers().getAll(HttpHeaderNames.HOST));
    }

    @Test
    void aHostWithoutAuthorityIsTheHost() throws Http2Exception {
        Http2Headers fields = new DefaultHttp2Headers().method("GET").scheme("https").path("/").add("host", "h.example");

        assertEquals("h.example", Http2Fields.request(3, fields, true).headers().get(HttpHeaderNames.HOST));
    }

    @Test
    void aHostThatConflictsWithTheAuthorityIsAStreamError() {
        Http2Exception e = assertThrows(Http2Exception.class,
                () -> Http2Fields.request(5, get("/").add("host", "other.example"), true));

        assertInstanceOf(Http2Exception.StreamException.class, e);
        assertEquals(5, ((Http2Exception.StreamException) e).streamId());
        assertEquals(Http2Error.PROTOCOL_ERROR, e.error());
    }

    @Test
    void aValueHttp1CannotCarryIsAStreamError() {
        // the frame codec validates names only, so a value reaches the translation as the client sent it
        Http2Headers fields = unvalidated("/").add("x-note", "a\r\nx-injected: 1");

        Http2Exception e = assertThrows(Http2Exception.class, () -> Http2Fields.request(7, fields, true));

        assertInstanceOf(Http2Exception.StreamException.class, e);
        assertEquals(Http2Error.PROTOCOL_ERROR, e.error());
    }

    @Test
    void aValueStartingWithWhitespaceIsAStreamErrorOfItsStream() {
        Http2Headers fields = unvalidated("/").add("accept", "*/*").add("x-note", " padded");

        Http2Exception e = assertThrows(Http2Exception.class, () -> Http2Fields.request(9, fields, true));

        assertInstanceOf(Http2Exception.StreamException.class, e);
        assertEquals(9, ((Http2Exception.StreamException) e).streamId());
        assertEquals(Http2Error.PROTOCOL_ERROR, e.error());
    }

    @Test
    void anAuthorityHttp1CannotCarryIsAStreamError() {
        Http2Headers fields = new DefaultHttp2Headers(false).method("GET").scheme("https").path("/")
                .authority("example.com\r\nx-injected: 1");

        assertThrows(Http2Exception.class, () -> Http2Fields.request(7, fields, true));
    }

    @Test
    void joinedCookiesAreCheckedToo() {
        Http2Headers fields = unvalidated("/").add("cookie", "a=1").add("cookie", "b=\n2");

        assertThrows(Http2Exception.class, () -> Http2Fields.request(7, fields, true));
    }

    @Test
    void theHeadersAreBuiltAsTheHttp1DecoderBuildsThem() throws Http2Exception {
        // HPACK hands over AsciiString values; the shared request path sees the same types from both protocols
        Http2Headers fields = get("/").add("accept", "*/*").add("cookie", "a=1").add("user-agent", "t/1");

        HttpRequest request = Http2Fields.request(3, fields, true);

        request.headers().iteratorCharSequence().forEachRemaining(
                header -> assertInstanceOf(String.class, header.getValue(), header.getKey().toString()));
        // like the decoder's container, this one does not validate again what is added later (the values were
        // checked on the way in, and what the handlers add is theirs)
        HttpHeaders decoders = Http1MessageDecoder.HEADERS.newHeaders().add("x-added", "a\rb");
        request.headers().add("x-added", "a\rb");
        assertEquals(decoders.get("x-added"), request.headers().get("x-added"));
    }

    @Test
    void aPathHttp1CannotCarryIsAStreamError() {
        assertThrows(Http2Exception.class, () -> Http2Fields.request(7, unvalidated("/a b HTTP/1.1\r\nx: y"), true));
    }

    @Test
    void connectionSpecificAndTrailerFieldsStayOut() throws Http2Exception {
        Http2Headers fields = unvalidated("/").add("connection", "close").add("keep-alive", "5")
                .add("transfer-encoding", "chunked").add("trailer", "x").add("accept", "*/*");

        HttpRequest request = Http2Fields.request(3, fields, true);

        assertEquals(List.of(Map.entry("host", "example.com"), Map.entry("accept", "*/*")), entries(request));
    }

    @Test
    void connectNamesItsAuthorityAsTarget() throws Http2Exception {
        Http2Headers fields = new DefaultHttp2Headers().method("CONNECT").authority("example.com:443");

        HttpRequest request = Http2Fields.request(3, fields, false);

        assertEquals(HttpMethod.CONNECT, request.method());
        assertEquals("example.com:443", request.uri());
        assertNull(request.headers().get("x-http2-stream-id"));
    }

    @Test
    void aResponseIsItsStatusAndLowerCasedHeadersWithoutConnectionSpecificOnes() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
        response.headers().add("Content-Type", "text/plain").add("Keep-Alive", "timeout=5")
                .add("Transfer-Encoding", "chunked").add("Host", "example.com").add("Upgrade", "h2c")
                .add("x-http2-stream-id", "3").add("X-Trace", "t1").add("x-trace", "t2");

        Http2Headers fields = Http2Fields.response(response);

        assertEquals("404", fields.status().toString());
        assertEquals(List.of(Map.entry(":status", "404"), Map.entry("content-type", "text/plain"),
                Map.entry("x-trace", "t1"), Map.entry("x-trace", "t2")), entries(fields));
    }

    @Test
    void aResponseNamingFieldsInConnectionLosesThemToo() {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().add("X-Hop", "1").add("Connection", "x-hop, close").add("Set-Cookie", "a=1")
                .add("TE", "trailers");

        Http2Headers fields = Http2Fields.response(response);

        assertEquals(List.of(Map.entry(":status", "200"), Map.entry("set-cookie", "a=1"), Map.entry("te", "trailers")),
                entries(fields));
    }

    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("https").path(path).authority("example.com");
    }

    private static Http2Headers unvalidated(String path) {
        return new DefaultHttp2Headers(false).method("GET").scheme("https").path(path).authority("example.com");
    }

    private static List<Map.Entry<String, String>> entries(HttpRequest request) {
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        request.headers().forEach(header -> entries.add(Map.entry(header.getKey(), header.getValue())));
        return entries;
    }

    private static List<Map.Entry<String, String>> entries(Http2Headers fields) {
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        fields.forEach(field -> entries.add(Map.entry(AsciiString.of(field.getKey()).toString(),
                field.getValue().toString())));
        return entries;
    }
}
