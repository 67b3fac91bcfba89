package io.sluice.upstream;

import io.sluice.testing.Http2TestClient;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RunningSluice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.sluice.upstream.ScriptedBackend.reset;
import static io.sluice.upstream.ScriptedBackend.respond;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A body without a length ends when the upstream closes its connection (RFC 9112 §6.3): an orderly close
 * (FIN) ends it, a reset does not. A reset in the middle is a failure, as with any other framing: a client
 * that can tell a whole body from a cut one (HTTP/2 END_STREAM against RST_STREAM) must be told.
 */
class CloseDelimitedBodiesIT {
    private static ScriptedBackend backend;
    private static RunningSluice sluice;

    @BeforeAll
    static void start() throws Exception {
        backend = new ScriptedBackend();
        ScriptedBackend.Script cutByReset = (request, socket, out) -> {
            respond(out, "HTTP/1.0 200 OK\r\nCache-Control: max-age=60\r\n\r\n" + "a".repeat(1000));
            Thread.sleep(200);
            reset(socket);
            return false;
        };
        ScriptedBackend.Script endedByClose = (request, socket, out) -> {
            respond(out, "HTTP/1.0 200 OK\r\nCache-Control: max-age=60\r\n\r\n" + "b".repeat(1000));
            return false;
        };
        backend.on("/cut-by-reset", cutByReset).on("/cut-by-reset-h2", cutByReset)
                .on("/ended-by-close", endedByClose).on("/ended-by-close-h2", endedByClose);
        sluice = RunningSluice.start("""
                sluice {
                  workers = 1
                  cache { max-size = 256k, max-object-size = 16k }
                  upstreams { app { servers = [ { address = "%s" } ], read-timeout = 2s } }
                  servers = [ { listen = [ { address = "127.0.0.1:0", http2 = true } ], locations = [
                    { match = "/", proxy { upstream = app, cache = true } }
                  ] } ]
                }""".formatted(backend.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        sluice.close();
        backend.close();
    }

    private static long asked(String path) {
        return backend.received.stream().filter(request -> request.path().equals(path)).count();
    }

    private static String getUntilClosed(String path) throws Exception {
        try (RawHttp raw = new RawHttp(sluice.port())) {
            raw.send("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
            return raw.readUntilClosed();
        }
    }

    @Test
    void bodyEndedByAnOrderlyCloseIsWholeButNeverCached() throws Exception {
        for (int i = 0; i < 2; i++) {
            String all = getUntilClosed("/ended-by-close");
            assertTrue(all.endsWith("\r\n\r\n" + "b".repeat(1000)), all);
        }
        assertEquals(2, asked("/ended-by-close"), "a body with no definite end may be cut short: it is not stored");
    }

    @Test
    void bodyEndedByAnOrderlyCloseEndsTheHttp2StreamWhole() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("GET", "/ended-by-close-h2", Map.of(), true);
            assertEquals("b".repeat(1000), new String(call.body.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void bodyCutByAResetResetsTheHttp2Stream() throws Exception {
        try (Http2TestClient client = Http2TestClient.cleartext(sluice.port())) {
            Http2TestClient.Call call = client.call("GET", "/cut-by-reset-h2", Map.of(), true);
            assertEquals("200", call.headers.get(10, TimeUnit.SECONDS).status().toString());
            assertThrows(ExecutionException.class, () -> call.body.get(10, TimeUnit.SECONDS),
                    "the stream must not end as if the body were whole");
        }
    }
}
