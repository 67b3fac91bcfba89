package io.sluice.routing;

import io.sluice.testing.OperatedSluice;
import io.sluice.testing.RawHttp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A kept-alive connection routes each request by the configuration current when that request arrives. */
class KeepAliveReloadIT {

    private static String config(String answer) {
        return """
                sluice {
                  workers = 1
                  admin { listen = "127.0.0.1:0" }
                  access-log { format = off }
                  servers = [ { listen = [ "127.0.0.1:0" ], locations = [
                    { match = "/", return { status = 200, body = "%s" } }
                  ] } ]
                }""".formatted(answer);
    }

    @Test
    void theNextRequestOnAConnectionFollowsAReload() throws Exception {
        try (OperatedSluice sluice = OperatedSluice.start(config("A"));
             RawHttp http = new RawHttp(sluice.port())) {
            for (int i = 0; i < 3; i++) {
                http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("A", http.readResponse().bodyText());
            }

            sluice.rewrite(config("B"));
            assertEquals(200, sluice.post(sluice.adminUri("/reload")).statusCode());

            for (int i = 0; i < 3; i++) {
                http.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("B", http.readResponse().bodyText());
            }
        }
    }
}
