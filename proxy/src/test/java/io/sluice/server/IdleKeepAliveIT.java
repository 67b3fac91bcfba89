package io.sluice.server;

import io.sluice.http.ConnectionTimeouts;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A kept-alive connection that idles past the moment it releases its codec serves what comes next as
 * before: pipelined requests in order, a HEAD answer without a body.
 */
class IdleKeepAliveIT {

    @Test
    void connectionIdlePastTheCodecReleaseServesPipelinedRequests() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""");
             RawHttp http = new RawHttp(sluice.port())) {
            assertEquals("ok", http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText());
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(ConnectionTimeouts.RELEASE_AFTER_NANOS) + 500);
            String answers = http.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").readUntilClosed();
            String[] responses = answers.split("(?=HTTP/1\\.1 )");
            assertEquals(3, responses.length, answers);
            assertEquals("", body(responses[0]), "HEAD: no body");
            assertEquals("ok", body(responses[1]));
            assertEquals("ok", body(responses[2]));
        }
    }

    private static String body(String response) {
        assertEquals("HTTP/1.1 200", response.substring(0, 12), response);
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
}
