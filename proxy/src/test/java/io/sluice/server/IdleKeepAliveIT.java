package io.sluice.server;

import io.sluice.http.ConnectionTimeouts;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A kept-alive connection that idles past the moment it releases its codec serves what comes next as
 * before: pipelined requests in order, a HEAD answer without a body. A connection that opens without its
 * codec and sends nothing still gets its 408.
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

    @Test
    void connectionThatSendsNothingIsAnsweredWithA408AfterHeaderTimeout() throws Exception {
        try (RunningSluice sluice = RunningSluice.start("""
                sluice {
                  limits { header-timeout = 1s }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [ { match = "/", return { body = "ok" } } ] } ]
                }""");
             RawHttp silent = new RawHttp(sluice.port())) {
            // the silent connection opened without a codec; the 408 still needs one to be written
            String answer = silent.readUntilClosed();
            assertEquals("HTTP/1.1 408", answer.substring(0, Math.min(12, answer.length())), answer);
            try (RawHttp http = new RawHttp(sluice.port())) {
                assertEquals("ok", http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").readResponse().bodyText(),
                        "a connection that speaks within the timeout is served");
            }
        }
    }

    private static String body(String response) {
        assertEquals("HTTP/1.1 200", response.substring(0, 12), response);
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
}
