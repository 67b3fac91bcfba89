package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.ConfigLoader;
import io.sluice.config.LocationConfig;
import io.sluice.config.ProxyConfig;
import io.sluice.http.Exchange;
import io.sluice.http.ExchangeNotes;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The upstream request head: the bytes for HTTP/1.1 and the message for HTTP/2 carry the same fields. */
class RequestHeadBuilderTest {
    private static final UpstreamServer SERVER = new UpstreamServer("app", "backend:8080",
            InetSocketAddress.createUnresolved("backend", 8080), null, "backend");

    private static ProxyConfig proxy(String keys) {
        LocationConfig location = ConfigLoader.parse("""
                sluice {
                  upstreams { app { servers = [ { address = "127.0.0.1:9" } ] } }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", proxy { upstream = app, %s } } ] } ]
                }""".formatted(keys), Path.of(".")).servers().get(0).locations().get(0);
        return (ProxyConfig) location.action();
    }

    private static HttpRequest request(HttpMethod method, String uri, String... fields) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < fields.length; i += 2) {
            request.headers().add(fields[i], fields[i + 1]);
        }
        return request;
    }

    private static String encoded(RequestHeadBuilder builder, HttpRequest request, boolean hasBody, boolean chunked) {
        ByteBuf head = builder.encode(new StubExchange(request), SERVER, hasBody, chunked, false,
                UnpooledByteBufAllocator.DEFAULT);
        try {
            return head.toString(StandardCharsets.ISO_8859_1);
        } finally {
            head.release();
        }
    }

    /** The field lines of a built message, in order, as "name: value". */
    private static List<String> lines(HttpHeaders headers) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> field : headers) {
            lines.add(field.getKey() + ": " + field.getValue());
        }
        return lines;
    }

    @Test
    void bytesCarryTheRequestLineAndTheFieldsOfTheBuiltMessageInOrder() {
        RequestHeadBuilder builder = new RequestHeadBuilder(proxy("via = true"));
        HttpRequest request = request(HttpMethod.GET, "http://example.com/a?b=c",
                "Host", "example.com", "Accept", "*/*", "Connection", "keep-alive, X-Hop", "X-Hop", "1",
                "Keep-Alive", "timeout=5", "X-Forwarded-For", "10.0.0.1", "Content-Length", "0", "Via", "1.0 edge");
        String bytes = encoded(builder, request, false, false);
        HttpRequest built = builder.build(new StubExchange(request), SERVER, false, false, false);
        String expected = "GET /a?b=c HTTP/1.1\r\n" + String.join("\r\n", lines(built.headers())) + "\r\n\r\n";
        assertEquals(expected, bytes);
        assertEquals("""
                GET /a?b=c HTTP/1.1\r
                Accept: */*\r
                Via: 1.0 edge\r
                content-length: 0\r
                host: example.com\r
                x-forwarded-for: 127.0.0.1\r
                x-real-ip: 127.0.0.1\r
                x-forwarded-proto: http\r
                x-forwarded-host: example.com\r
                via: 1.1 sluice\r
                \r
                """, bytes);
    }

    @Test
    void rulesReplaceAndRemoveFieldsTheBuilderWouldOtherwiseWrite() {
        RequestHeadBuilder builder = new RequestHeadBuilder(proxy("""
                host = "$upstream"
                request-headers { set { "X-Team" = "a" }, remove = [ "X-Real-IP", "x-forwarded-host", "Cookie" ] }"""));
        HttpRequest request = request(HttpMethod.POST, "/upload", "Host", "example.com", "cookie", "k=v",
                "X-Team", "b", "Transfer-Encoding", "chunked", "Expect", "100-continue");
        String bytes = encoded(builder, request, true, true);
        assertEquals("""
                POST /upload HTTP/1.1\r
                transfer-encoding: chunked\r
                host: backend:8080\r
                x-forwarded-for: 127.0.0.1\r
                x-forwarded-proto: http\r
                X-Team: a\r
                \r
                """, bytes);
    }

    @Test
    void lengthFramedBodyKeepsItsOneLength() {
        RequestHeadBuilder builder = new RequestHeadBuilder(proxy("host = \"$upstream\""));
        HttpRequest request = request(HttpMethod.PUT, "/x", "Host", "a", "Content-Length", "11");
        String bytes = encoded(builder, request, true, false);
        assertEquals("PUT /x HTTP/1.1\r\ncontent-length: 11\r\nhost: backend:8080\r\nx-forwarded-for: 127.0.0.1\r\n"
                + "x-real-ip: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: a\r\n\r\n", bytes);
    }

    /** Just what the builder reads of an exchange. */
    private record StubExchange(HttpRequest request) implements Exchange {
        @Override
        public Channel channel() {
            throw new UnsupportedOperationException();
        }

        @Override
        public String host() {
            return "example.com";
        }

        @Override
        public String path() {
            return request.uri();
        }

        @Override
        public LocationConfig location() {
            throw new UnsupportedOperationException();
        }

        @Override
        public InetSocketAddress clientAddress() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }

        @Override
        public boolean secure() {
            return false;
        }

        @Override
        public ExchangeNotes notes() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long startNanos() {
            return 0;
        }

        @Override
        public void readBody() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean bodyPending() {
            return false;
        }

        @Override
        public ChannelFuture write(Object message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ChannelFuture writeAndFlush(Object message) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void flush() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public void abort(String reason) {
            throw new UnsupportedOperationException();
        }
    }
}
