package io.sluice.upstream;

import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ProxyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The upstream's response head made into the client's, and what it says about the upstream connection. */
class ResponseHeadRewriterTest {
    private static final ResponseHeadRewriter REWRITER = new ResponseHeadRewriter((ProxyConfig) ConfigLoader.parse("""
            sluice {
              upstreams { app { servers = [ { address = "127.0.0.1:9" } ] } }
              servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                { match = "/", proxy { upstream = app, response-headers { remove = [ "X-Internal" ] } } } ] } ]
            }""", Path.of(".")).servers().get(0).locations().get(0).action());

    private static HttpResponse response(HttpVersion version, String... fields) {
        HttpResponse response = new DefaultHttpResponse(version, HttpResponseStatus.OK);
        for (int i = 0; i < fields.length; i += 2) {
            response.headers().add(fields[i], fields[i + 1]);
        }
        return response;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.1 | ''", "HTTP/1.1 | keep-alive", "HTTP/1.1 | close", "HTTP/1.1 | 'Keep-Alive ,  X-A'",
            "HTTP/1.1 | 'x-a,CLOSE'", "HTTP/1.0 | ''", "HTTP/1.0 | keep-alive", "HTTP/1.0 | 'keep-alive, close'",
    })
    void keepAliveAsNettyReadsTheReceivedHead(String version, String connection) {
        HttpResponse response = response(HttpVersion.valueOf(version), "Content-Length", "3");
        if (!connection.isEmpty()) {
            response.headers().add("Connection", connection);
        }
        boolean expected = HttpUtil.isKeepAlive(response);
        assertEquals(expected, REWRITER.rewrite(response, false, false), version + " Connection: " + connection);
        assertEquals(HttpVersion.HTTP_1_1, response.protocolVersion());
    }

    /** A plain {@code keep-alive} field is read without the list parser: a second field still counts. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.1 | keep-alive | close", "HTTP/1.1 | close | Keep-Alive", "HTTP/1.1 | KEEP-ALIVE | x-a",
            "HTTP/1.0 | keep-alive | close", "HTTP/1.0 | x-a | keep-alive", "HTTP/1.0 | x-a | close",
    })
    void keepAliveOverTwoConnectionFields(String version, String first, String second) {
        HttpResponse response = response(HttpVersion.valueOf(version), "Content-Length", "3", "Connection", first,
                "X-A", "1", "Connection", second);
        boolean expected = HttpUtil.isKeepAlive(response);
        assertEquals(expected, REWRITER.rewrite(response, false, false), version + " Connection: " + first + " / " + second);
        boolean listed = first.equals("x-a") || second.equals("x-a");
        assertEquals(listed ? List.of("Content-Length") : List.of("Content-Length", "X-A"),
                response.headers().names().stream().toList());
    }

    @Test
    void hopByHopAndListedFieldsGoChunkedStaysForHttp11Clients() {
        HttpResponse response = response(HttpVersion.HTTP_1_1, "Server", "app", "Connection", "x-a, keep-alive",
                "X-A", "1", "Keep-Alive", "timeout=5", "Transfer-Encoding", "gzip, Chunked", "Trailer", "X-Sum",
                "X-Internal", "secret", "Proxy-Connection", "keep-alive", "Upgrade", "h2c");
        REWRITER.rewrite(response, false, false);
        assertEquals(List.of("Server: app", "transfer-encoding: chunked"),
                response.headers().entries().stream().map(e -> e.getKey() + ": " + e.getValue()).toList());
    }

    @Test
    void chunkedGoesForHttp10ClientsAndBodylessResponses() {
        HttpResponse toHttp10 = response(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked");
        REWRITER.rewrite(toHttp10, false, true);
        assertEquals(List.of(), toHttp10.headers().names().stream().toList());
        HttpResponse bodyless = response(HttpVersion.HTTP_1_1, "Transfer-Encoding", "chunked");
        REWRITER.rewrite(bodyless, true, false);
        assertEquals(List.of(), bodyless.headers().names().stream().toList());
    }

    /** A body the upstream ends by closing: chunked for HTTP/1.1 clients, as it came for HTTP/1.0 ones and bodyless answers. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "HTTP/1.0 | false | false | transfer-encoding", "HTTP/1.1 | false | false | transfer-encoding",
            "HTTP/1.0 | false | true  | ''", "HTTP/1.0 | true  | false | ''",
    })
    void bodyWithoutLengthGoesChunkedOnlyToHttp11Clients(String version, boolean bodyless, boolean clientHttp10,
                                                         String added) {
        HttpResponse response = response(HttpVersion.valueOf(version), "Server", "app");
        REWRITER.rewrite(response, bodyless, clientHttp10);
        assertEquals(added.isEmpty() ? List.of("Server") : List.of("Server", added),
                response.headers().names().stream().toList());
    }

    @Test
    void bodyWithALengthKeepsItForEveryClient() {
        HttpResponse response = response(HttpVersion.HTTP_1_0, "Content-Length", "3");
        REWRITER.rewrite(response, false, false);
        assertEquals(List.of("Content-Length"), response.headers().names().stream().toList());
    }
}
